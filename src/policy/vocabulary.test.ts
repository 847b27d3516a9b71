import { describe, expect, it } from 'vitest';
import {
  NIST_AI_RMF_FUNCTIONS,
  NIST_CSF_2_0_SUBCATEGORIES,
  OWASP_NHI_2025,
  PRINCIPAL_ID,
} from './vocabulary.js';

describe('framework control ids', () => {
  it('lists the 106 NIST CSF 2.0 subcategories', () => {
    expect(NIST_CSF_2_0_SUBCATEGORIES.size).toBe(106);
    for (const id of [
      'GV.OC-01',
      'GV.SC-10',
      'ID.AM-08',
      'PR.AA-06',
      'PR.DS-11',
      'DE.CM-09',
      'RS.AN-08',
      'RC.CO-04',
    ]) {
      expect(NIST_CSF_2_0_SUBCATEGORIES.has(id), id).toBe(true);
    }
    // CSF 1.1 ids and withdrawn numbers are not CSF 2.0 subcategories.
    for (const id of ['PR.AC-4', 'PR.AC-04', 'DE.CM-1', 'ID.AM-06', 'PR.DS-03', 'GV.OC-06']) {
      expect(NIST_CSF_2_0_SUBCATEGORIES.has(id), id).toBe(false);
    }
  });

  it('names the OWASP NHI Top 10 (2025) and the AI RMF functions', () => {
    expect(Object.keys(OWASP_NHI_2025)).toEqual([
      'NHI1',
      'NHI2',
      'NHI3',
      'NHI4',
      'NHI5',
      'NHI6',
      'NHI7',
      'NHI8',
      'NHI9',
      'NHI10',
    ]);
    expect(OWASP_NHI_2025['NHI1']).toBe('Improper Offboarding');
    expect(OWASP_NHI_2025['NHI10']).toBe('Human Use of NHI');
    expect(NIST_AI_RMF_FUNCTIONS).toEqual(['GOVERN', 'MAP', 'MEASURE', 'MANAGE']);
  });

  it('types principal ids', () => {
    for (const ok of ['person:alice', 'group:dba', 'service:ci-pipeline', 'person:a.b@example.com']) {
      expect(PRINCIPAL_ID.test(ok), ok).toBe(true);
    }
    for (const bad of ['alice', 'team:dba', 'person:', 'person: alice', 'Person:alice']) {
      expect(PRINCIPAL_ID.test(bad), bad).toBe(false);
    }
  });
});
