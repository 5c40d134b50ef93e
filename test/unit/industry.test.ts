import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  industryRiskScore,
  isIndustryCode,
  ISIC_SECTION_CODES,
  LEGACY_INDUSTRIES,
  parseIndustry,
} from "../../functions/src/domain/industry.js";
import { DEFAULT_POLICY, resolvePolicy } from "../../functions/src/domain/policy.js";
import { assess } from "../../functions/src/domain/scoring.js";
import { submitCreditApplicationInput } from "../../functions/src/schemas/callables.js";
import { application } from "../support/fixtures.js";

const P = DEFAULT_POLICY;
const score = (industry: string) => industryRiskScore(industry, P.industryScores, P.defaultIndustryScore);

describe("industry codes (ISIC Rev. 4)", () => {
  it("sections A–U and the divisions of each section are codes; other strings are not", () => {
    expect(ISIC_SECTION_CODES).toHaveLength(21);
    for (const s of ISIC_SECTION_CODES) expect(isIndustryCode(s)).toBe(true);
    for (const ok of ["A01", "C10", "C33", "G46", "G47", "U99", "D35"]) expect(isIndustryCode(ok)).toBe(true);
    for (const bad of ["V", "c", "C9", "C34", "G48", "D36", "A1", "C100", "", "manufacturing", "G 47"])
      expect(isIndustryCode(bad)).toBe(false);
  });

  it("the old free-text words migrate to their code, keeping the score they had; other text is refused with a message naming the codes", () => {
    const old: Record<string, number> = {
      manufacturing: 70,
      wholesale: 65,
      retail: 55,
      construction: 40,
      hospitality: 40,
      transport: 55,
      technology: 65,
      healthcare: 75,
      agriculture: 55,
      energy: 60,
      services: 60,
    };
    for (const [word, was] of Object.entries(old)) {
      const p = parseIndustry(word.toUpperCase());
      expect(p).toEqual({ ok: true, code: LEGACY_INDUSTRIES[word], migratedFrom: word.toUpperCase() });
      expect(score(word)).toBe(was);
      if (p.ok) expect(score(p.code)).toBe(was);
    }
    const refused = parseIndustry("Health care");
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/ISIC Rev\. 4 .*Q for health care/);
    const wrongDivision = parseIndustry("G48");
    expect(wrongDivision.ok).toBe(false);
    if (!wrongDivision.ok) expect(wrongDivision.message).toContain("45–47");
  });

  it("a division's score wins over its section's; an unknown code or text scores the default", () => {
    expect(score("G47")).toBe(55);
    expect(score("G46")).toBe(65);
    expect(score("G45")).toBe(P.industryScores.G);
    expect(score("T")).toBe(P.defaultIndustryScore);
    expect(score("__proto__")).toBe(P.defaultIndustryScore);
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const v = score(s);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }),
    );
  });

  it("scoring reads the code (and a stored old word through the migration) the same way", () => {
    const base = { asOf: Date.UTC(2026, 5, 1), profile: { industry: "Q", country: "US", foundedYear: 2000 } };
    const byCode = assess(base, P);
    const byWord = assess({ ...base, profile: { ...base.profile, industry: "healthcare" } }, P);
    expect(byWord.score).toBe(byCode.score);
    expect(byCode.factors.find((f) => f.factor === "industry")?.score).toBe(75);
  });

  it("an application's industry must be a code (old words are migrated); the field is named", () => {
    const parsed = submitCreditApplicationInput.parse(
      application({ company: { ...application().company, industry: "retail" } }),
    );
    expect(parsed.company.industry).toBe("G47");
    expect(
      submitCreditApplicationInput.parse(application({ company: { ...application().company, industry: "C10" } }))
        .company.industry,
    ).toBe("C10");
    const bad = submitCreditApplicationInput.safeParse(
      application({ company: { ...application().company, industry: "Health care" } }),
    );
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues[0]!.path).toEqual(["company", "industry"]);
  });

  it("a policy override keyed by the old words is invalid and says which code to use", () => {
    const r = resolvePolicy({ industryScores: { manufacturing: 80 } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]!.path).toContain("industryScores");
      expect(r.issues[0]!.message).toContain("C");
    }
    const ok = resolvePolicy({ industryScores: { C: 80, C10: 85 } });
    expect(ok.ok).toBe(true);
  });
});
