/** Units of time in epoch milliseconds, the unit every clock value in the system is in. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
