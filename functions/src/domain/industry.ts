/**
 * Industry as a standard code: ISIC Rev. 4 (UN International Standard Industrial
 * Classification), a section letter A–U, optionally narrowed to one of its two-digit
 * divisions ("G" wholesale and retail trade; "G46" wholesale only; "G47" retail only).
 * The policy maps codes to an industry risk score (`industryScores`, by division first, then
 * section). Pure: no Firebase.
 *
 * Before the code list, industry was free text looked up by exact key: "Health care" fell to
 * the default score. The eleven words the old policy knew are migrated to their code
 * (`LEGACY_INDUSTRIES`); any other text is refused at the door with a message that names the
 * codes, and a stored file still holding old text is scored through the same migration.
 */

/** ISIC Rev. 4 sections and the range of their two-digit divisions. */
export const ISIC_SECTIONS = {
  A: { title: "Agriculture, forestry and fishing", divisions: [1, 3] },
  B: { title: "Mining and quarrying", divisions: [5, 9] },
  C: { title: "Manufacturing", divisions: [10, 33] },
  D: { title: "Electricity, gas, steam and air conditioning supply", divisions: [35, 35] },
  E: { title: "Water supply; sewerage, waste management and remediation activities", divisions: [36, 39] },
  F: { title: "Construction", divisions: [41, 43] },
  G: { title: "Wholesale and retail trade; repair of motor vehicles and motorcycles", divisions: [45, 47] },
  H: { title: "Transportation and storage", divisions: [49, 53] },
  I: { title: "Accommodation and food service activities", divisions: [55, 56] },
  J: { title: "Information and communication", divisions: [58, 63] },
  K: { title: "Financial and insurance activities", divisions: [64, 66] },
  L: { title: "Real estate activities", divisions: [68, 68] },
  M: { title: "Professional, scientific and technical activities", divisions: [69, 75] },
  N: { title: "Administrative and support service activities", divisions: [77, 82] },
  O: { title: "Public administration and defence; compulsory social security", divisions: [84, 84] },
  P: { title: "Education", divisions: [85, 85] },
  Q: { title: "Human health and social work activities", divisions: [86, 88] },
  R: { title: "Arts, entertainment and recreation", divisions: [90, 93] },
  S: { title: "Other service activities", divisions: [94, 96] },
  T: {
    title:
      "Activities of households as employers; undifferentiated goods- and services-producing activities of households for own use",
    divisions: [97, 98],
  },
  U: { title: "Activities of extraterritorial organizations and bodies", divisions: [99, 99] },
} as const satisfies Record<string, { title: string; divisions: readonly [number, number] }>;

export type IsicSection = keyof typeof ISIC_SECTIONS;
export const ISIC_SECTION_CODES = Object.keys(ISIC_SECTIONS) as IsicSection[];

/** The free-text industries the policy scored before codes, and the code each meant. */
export const LEGACY_INDUSTRIES: Readonly<Record<string, string>> = {
  agriculture: "A",
  manufacturing: "C",
  energy: "D",
  construction: "F",
  wholesale: "G46",
  retail: "G47",
  transport: "H",
  hospitality: "I",
  technology: "J",
  healthcare: "Q",
  services: "S",
};

const CODE = /^([A-U])(\d{2})?$/;

/** Is this an ISIC Rev. 4 section ("C") or a division of its section ("C10")? */
export function isIndustryCode(value: string): boolean {
  const m = CODE.exec(value);
  if (!m) return false;
  if (m[2] === undefined) return true;
  const [lo, hi] = ISIC_SECTIONS[m[1] as IsicSection].divisions;
  const d = Number(m[2]);
  return d >= lo && d <= hi;
}

/** The section of a code ("G47" → "G"). */
export function sectionOf(code: string): IsicSection {
  return code[0] as IsicSection;
}

export type IndustryParse = { ok: true; code: string; migratedFrom: string | null } | { ok: false; message: string };

export const INDUSTRY_RULE =
  "must be an ISIC Rev. 4 section letter A–U, or a section with one of its two-digit divisions like G47 (retail)";

/**
 * An industry as given by a client or stored by an older version: a code (returned as is), one
 * of the old free-text words (migrated to its code), or refused with a message that says what
 * to send instead.
 */
export function parseIndustry(raw: string): IndustryParse {
  const value = raw.trim();
  if (isIndustryCode(value)) return { ok: true, code: value, migratedFrom: null };
  const upper = value.toUpperCase();
  if (isIndustryCode(upper)) return { ok: true, code: upper, migratedFrom: value };
  const legacy = Object.hasOwn(LEGACY_INDUSTRIES, value.toLowerCase()) ? LEGACY_INDUSTRIES[value.toLowerCase()]! : null;
  if (legacy) return { ok: true, code: legacy, migratedFrom: value };
  const m = CODE.exec(upper);
  if (m && m[2] !== undefined) {
    const [lo, hi] = ISIC_SECTIONS[m[1] as IsicSection].divisions;
    const range =
      lo === hi ? String(lo).padStart(2, "0") : `${String(lo).padStart(2, "0")}–${String(hi).padStart(2, "0")}`;
    return { ok: false, message: `${value} is not a division of section ${m[1]} (its divisions are ${range})` };
  }
  return {
    ok: false,
    message: `${INDUSTRY_RULE}; free text is no longer accepted (e.g. C for manufacturing, Q for health care)`,
  };
}

/**
 * The industry risk score from the policy's table: the division's entry, else its section's,
 * else the default. Old free text is read through the migration; anything else is unknown.
 */
export function industryRiskScore(
  industry: string,
  scores: Readonly<Record<string, number>>,
  defaultScore: number,
): number {
  let code = isIndustryCode(industry) ? industry : null;
  if (code === null) {
    const p = parseIndustry(industry);
    code = p.ok ? p.code : null;
  }
  if (code === null) return defaultScore;
  if (code.length > 1 && Object.hasOwn(scores, code)) return scores[code]!;
  const section = sectionOf(code);
  return Object.hasOwn(scores, section) ? scores[section]! : defaultScore;
}
