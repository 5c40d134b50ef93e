import { z } from "zod";

/**
 * The FX table document, `config/fxRates`, as an admin writes it in the console:
 *
 *   { base: "USD", asOf: "2026-11-27", rates: { EUR: 0.8612, GBP: 0.7541, JPY: 156.12, … }, source: "ECB reference rates" }
 *
 * `rates[C]` is how many units of C one unit of `base` buys. `asOf` is the day the rates are
 * for (an ISO date, or a timestamp). Validated as a whole (domain/fxTable.ts): a document that
 * does not parse is never used.
 */
const code = z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code like EUR");

export const MAX_FX_RATES = 200;

export const fxTableDocSchema = z
  .object({
    base: code,
    asOf: z.union([
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$/, "must be an ISO-8601 date like 2026-11-27"),
      z.date(),
    ]),
    rates: z
      .record(
        code,
        z.number().finite().min(1e-9, "must be a positive rate (at least 1e-9)").max(1e9, "must be at most 1e9"),
      )
      .refine((r) => Object.keys(r).length <= MAX_FX_RATES, { message: `at most ${MAX_FX_RATES} currencies` }),
    source: z.string().max(200).optional(),
  })
  .strict();

export type FxTableDoc = z.infer<typeof fxTableDocSchema>;
