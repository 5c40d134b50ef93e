import { z } from "zod";
import { MAX_REASON_CODES, REASON_CODE } from "../domain/decisions.js";
import { parseIndustry } from "../domain/industry.js";

/** Integer minor units (cents), never a float; bounded well inside safe integers. */
export const MAX_AMOUNT = 1_000_000_000_000_00; // one trillion major units
export const amount = z
  .number()
  .int("must be an integer number of minor units")
  .nonnegative()
  .max(MAX_AMOUNT)
  .meta({ description: "integer minor units (cents)" });
export const positiveAmount = amount
  .refine((n) => n > 0, "must be greater than zero")
  .meta({ description: "integer minor units (cents), greater than zero" });
export const signedAmount = z
  .number()
  .int("must be an integer number of minor units")
  .min(-MAX_AMOUNT)
  .max(MAX_AMOUNT)
  .meta({ description: "integer minor units (cents), may be negative" });

export const id = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, "may contain only letters, digits, _ and -");
export const requestId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, "may contain only letters, digits and _ . : -")
  .meta({ description: "idempotency key: a retry with the same key returns the first result and writes nothing more" });
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code like USD")
  .meta({ description: "ISO 4217 currency code" });
export const country = z
  .string()
  .regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 code like US")
  .meta({ description: "ISO 3166 alpha-2 country code" });
/**
 * Industry: an ISIC Rev. 4 section (A–U) or division ("G47"). The free-text words of the old
 * policy table ("wholesale", "retail", …) are migrated to their code; other text is refused.
 */
export const industry = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .transform((s, ctx) => {
    const p = parseIndustry(s);
    if (!p.ok) {
      ctx.addIssue({ code: "custom", message: p.message });
      return z.NEVER;
    }
    return p.code;
  })
  .meta({
    description:
      "ISIC Rev. 4 code: a section letter A–U, or a section with one of its two-digit divisions like G47 (retail); the old words (wholesale, retail, healthcare, …) are migrated to their code, other text is refused",
  });

export const shortText = (max = 200) => z.string().trim().min(1).max(max);
export const note = z.string().trim().min(1).max(2000);
/** A decision memo's reason codes, beside its note (the decision adds the codes it implies). */
export const reasonCodes = z
  .array(z.string().regex(REASON_CODE, "must be an upper-case reason code like LATE_PAYMENTS (2–64 of A–Z, 0–9, _)"))
  .max(MAX_REASON_CODES)
  .meta({ description: "reason codes of the decision, kept with its note on the decided document" });

/** Date.parse rolls 2025-02-30 over into March: accept only days and times that exist. */
function isCalendarDate(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(2000, m - 1, d));
  day.setUTCFullYear(y);
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return false;
  const t = /T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
  return !t || (Number(t[1]) <= 23 && Number(t[2]) <= 59 && Number(t[3] ?? 0) <= 59);
}

const MIN_DATE = Date.UTC(1900, 0, 1);
const MAX_DATE = Date.UTC(2200, 0, 1);
/** ISO-8601 date or date-time, between 1900 and 2200, as epoch milliseconds. */
export const isoDate = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/, "must be an ISO-8601 date")
  .transform((s, ctx) => {
    const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
    if (!Number.isFinite(ms) || ms < MIN_DATE || ms > MAX_DATE || !isCalendarDate(s)) {
      ctx.addIssue({ code: "custom", message: "must be a real date between 1900 and 2200" });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: "ISO-8601 date (YYYY-MM-DD) or date-time, 1900–2200" });
