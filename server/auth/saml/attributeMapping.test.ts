import { expect } from 'chai';
import { DEFAULT_ATTRIBUTES, DEFAULT_FUNCTION_ROLES } from '../identityProviders.js';
import { MissingAttributeError, mapIdentity, normaliseAttributes, parseFrEduRne } from './attributeMapping.js';

const idp = { attributes: DEFAULT_ATTRIBUTES, functionRoles: DEFAULT_FUNCTION_ROLES, subjectAttribute: null };

describe('SAML attribute mapping', () => {
  it('reads FrEduRne: the UAI first, then the function and the kind of establishment', () => {
    expect(parseFrEduRne('0860001A$UAJ$PU$ENS$0860001A$T3$LYC$340')).to.deep.equal({ uai: '0860001A', function: 'ENS', kind: 'LYC' });
    expect(parseFrEduRne('0860001a')).to.deep.equal({ uai: '0860001A', function: null, kind: '' });
    expect(parseFrEduRne('pas-un-uai$UAJ')).to.equal(null);
  });

  it('maps the académie attributes with their defaults, first present wins', () => {
    const mapped = mapIdentity(idp, 'nid', normaliseAttributes({ mail: 'b@ac.fr', ctemail: 'a@ac.fr', givenName: 'Ana', ctln: 'Lopez', FrEduRne: '0170051X$UAJ$PU$DOC$0170051X$T3$LYC$340' }));
    expect(mapped).to.include({ subject: 'nid', email: 'a@ac.fr', givenName: 'Ana', familyName: 'Lopez' });
    expect(mapped.establishments).to.deep.equal([{ uai: '0170051X', function: 'DOC', kind: 'LYC', isPrimary: true }]);
    expect(mapped.roles).to.deep.equal(['enseignant']);
  });

  it('gives chef to a DIR and to whoever heads establishments (FrEduRneResp)', () => {
    expect(mapIdentity(idp, 'n', { mail: ['d@ac.fr'], FrEduFonctAdm: ['DIR'] }).roles).to.deep.equal(['chef']);
    const head = mapIdentity(idp, 'n', { mail: ['d@ac.fr'], FrEduRne: ['0860019K$UAJ$PU$ENS'], FrEduRneResp: ['0860019K$UAJ$PU$DIR', '0860133U'] });
    expect(head.roles).to.deep.equal(['chef']);
    expect(head.establishments.map((e) => [e.uai, e.function])).to.deep.equal([['0860019K', 'DIR'], ['0860133U', 'DIR']]);
  });

  it('knows Corsica (620, 720) and overseas UAIs, and sets aside UAIs of no known département', () => {
    const mapped = mapIdentity(idp, 'n', { mail: ['c@ac.fr'], FrEduRne: ['6200001A$UAJ$PU$ENS', '7200002B$UAJ$PU$ENS', '9710003C$UAJ$PU$ENS', '9990004D$UAJ$PU$ENS'] });
    expect(mapped.establishments.map((e) => e.uai)).to.deep.equal(['6200001A', '7200002B', '9710003C']);
    expect(mapped.ignoredUais).to.deep.equal(['9990004D']);
  });

  it('follows a per-IdP mapping and subject attribute', () => {
    const custom = { ...idp, attributes: { ...DEFAULT_ATTRIBUTES, email: ['courriel'] }, subjectAttribute: 'uid', functionRoles: { INS: 'chef' as const } };
    const mapped = mapIdentity(custom, 'transient', { courriel: ['x@ac.fr'], uid: ['u-1'], FrEduFonctAdm: ['INS', 'ENS'] });
    expect(mapped).to.include({ subject: 'u-1', email: 'x@ac.fr' });
    expect(mapped.roles).to.deep.equal(['chef']);
  });

  it('refuses an identity without e-mail or subject', () => {
    expect(() => mapIdentity(idp, 'n', {})).to.throw(MissingAttributeError, /adresse/);
    expect(() => mapIdentity({ ...idp, subjectAttribute: 'uid' }, 'n', { mail: ['a@ac.fr'] })).to.throw(MissingAttributeError, /uid/);
  });
});
