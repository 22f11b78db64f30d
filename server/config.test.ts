import { expect } from 'chai';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults that run on a fresh machine', () => {
    const config = loadConfig({}, '/srv/maillon');
    expect(config.port).to.equal(3000);
    expect(config.mode).to.equal('development');
    expect(config.dataDir).to.equal('/srv/maillon/data');
    expect(config.databaseUrl).to.equal(null);
    expect(config.baseUrl).to.equal('http://localhost:3000');
    expect(config.seedDemo).to.equal(true);
  });

  it('reads overrides', () => {
    const config = loadConfig({ PORT: '8080', DATA_DIR: '/var/lib/maillon', DATABASE_URL: 'postgres://u@db/maillon', PLUGINS_DISABLED: 'forums, chat' }, '/');
    expect(config.port).to.equal(8080);
    expect(config.dataDir).to.equal('/var/lib/maillon');
    expect(config.databaseUrl).to.equal('postgres://u@db/maillon');
    expect(config.disabledPlugins).to.deep.equal(['forums', 'chat']);
  });

  it('refuses production without a session secret, an identity provider or a public URL, naming each', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      expect.fail('should refuse');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).to.contain('SESSION_SECRET');
      expect(message).to.contain('SAML_IDP_CONFIG');
      expect(message).to.contain('BASE_URL');
      expect(message).to.contain('SAML_SP_KEY');
    }
  });

  it('reads the shared services settings, with defaults that keep mails in the outbox', () => {
    const defaults = loadConfig({}, '/srv/maillon');
    expect(defaults).to.include({ smtpUrl: null, mailFrom: 'Maillon <ne-pas-repondre@localhost>', mailRatePerSecond: 50, jobsRunner: true, digestCron: '0 7 * * *' });
    expect(defaults.filesMaxBytes).to.equal(10 * 1024 * 1024);
    const custom = loadConfig({ SMTP_URL: 'smtps://u:p@relais.ac-poitiers.fr', MAIL_FROM: 'DANE <dane@ac-poitiers.fr>', JOBS_RUNNER: 'non', FILES_MAX_MB: '2', NOTIFICATIONS_DIGEST_CRON: '30 6 * * 1-5' });
    expect(custom).to.include({ smtpUrl: 'smtps://u:p@relais.ac-poitiers.fr', mailFrom: 'DANE <dane@ac-poitiers.fr>', jobsRunner: false, filesMaxBytes: 2 * 1024 * 1024, digestCron: '30 6 * * 1-5' });
    expect(() => loadConfig({ SMTP_URL: 'http://relais' })).to.throw(ConfigError, /SMTP_URL/);
    expect(() => loadConfig({ NOTIFICATIONS_DIGEST_CRON: 'tous les jours' })).to.throw(ConfigError, /NOTIFICATIONS_DIGEST_CRON/);
  });

  it('refuses junk values with the variable name', () => {
    expect(() => loadConfig({ PORT: 'abc' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => loadConfig({ SESSION_SECRET: 'court' })).to.throw(ConfigError, /SESSION_SECRET/);
  });
});
