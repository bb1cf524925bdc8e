// The domain's vocabularies, loaded once at start from GET /v1/vocabulary (the server's
// src/domain tables): fields, services, provider types, certifications, need statuses,
// record kinds, and the districts with their aliases and neighbours. The page holds no
// copy of them; until they load (or if they cannot), codes are shown as they are.
import { api } from './api.js';

export const FIELDS = {};
export const FIELDS_SHORT = {};
export const SERVICES = {};
export const PROVIDER_TYPES = {};
export const CERTS = {};
export const NEED_STATUS = {};
export const KINDS = {};
// Official district names in the domain's order, for the district picker.
export const DISTRICTS = [];
// District → its neighbours, for filtering on the page when the server cannot.
export const NEIGHBOURS = new Map();
// Alias (璧山, 高新区, 石柱土家族自治县, …) → official name.
const DISTRICT_ALIASES = new Map();
export let CITY_WIDE = '全市';

const fill = (table, terms) => {
  for (const t of terms || []) table[t.code] = t.zh;
};

// Loads the vocabularies; resolves false (and leaves the tables empty) when they cannot be read.
export async function loadVocabulary() {
  let v;
  try {
    v = await api('GET', '/v1/vocabulary');
  } catch {
    return false;
  }
  if (!v) return false;
  fill(FIELDS, v.fields);
  for (const f of v.fields || []) FIELDS_SHORT[f.code] = f.short || f.zh;
  fill(SERVICES, v.services);
  fill(PROVIDER_TYPES, v.provider_types);
  fill(CERTS, v.certifications);
  fill(NEED_STATUS, v.need_statuses);
  fill(KINDS, v.kinds);
  for (const d of v.districts || []) {
    DISTRICTS.push(d.name);
    NEIGHBOURS.set(d.name, d.neighbours || []);
    for (const a of d.aliases || []) if (!DISTRICT_ALIASES.has(a)) DISTRICT_ALIASES.set(a, d.name);
  }
  if (v.city_wide) CITY_WIDE = v.city_wide;
  return true;
}

export const zh = (table, code) => (code == null ? '' : table[code] || String(code));
export const zhList = (table, codes, sep = '、') => (Array.isArray(codes) ? codes.map((c) => zh(table, c)).join(sep) : '');

export function normaliseDistrict(raw) {
  const s = String(raw || '').trim();
  if (!s) return '';
  if (DISTRICTS.includes(s)) return s;
  if (DISTRICT_ALIASES.has(s)) return DISTRICT_ALIASES.get(s);
  const hit = DISTRICTS.find((d) => d.startsWith(s));
  return hit || s;
}
