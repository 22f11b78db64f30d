import { expect } from 'chai';
import { academies, departmentOfUai } from './geography.js';

describe('geography', () => {
  it('holds the 30 académies and 101 départements, each département once', () => {
    expect(academies).to.have.length(30);
    const codes = academies.flatMap((a) => a.departments.map((d) => d.code));
    expect(codes).to.have.length(101);
    expect(new Set(codes).size).to.equal(101);
    expect(academies.find((a) => a.code === 'poitiers')!.departments.map((d) => d.code)).to.deep.equal(['16', '17', '79', '86']);
  });

  it('reads the département from the first three characters of a UAI', () => {
    expect(departmentOfUai('0860001A')?.name).to.equal('Vienne');
    expect(departmentOfUai('0170051x'.toUpperCase())?.code).to.equal('17');
    expect(departmentOfUai('6200002B')?.name).to.equal('Corse-du-Sud');
    expect(departmentOfUai('7200009X')?.name).to.equal('Haute-Corse');
    expect(departmentOfUai('9740001A')?.name).to.equal('La Réunion');
    expect(departmentOfUai('9760001A')?.academyCode).to.equal('mayotte');
  });

  it('refuses what is not a UAI', () => {
    expect(departmentOfUai('086001A')).to.equal(undefined);
    expect(departmentOfUai('ABCDEFGH')).to.equal(undefined);
    expect(departmentOfUai('9990001A')).to.equal(undefined);
  });
});
