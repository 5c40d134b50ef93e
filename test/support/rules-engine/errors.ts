/**
 * Two kinds of failure, kept strictly apart:
 *
 * - RulesRuntimeError: what the real rules engine calls an error value (a missing field, a
 *   method on null, a type mismatch, a field a list query does not constrain). It follows the
 *   rules' error semantics (`false && error` is false, `true || error` is true) and otherwise
 *   denies the request.
 * - RulesUnsupportedError / RulesSyntaxError: something the evaluator does not understand
 *   (unknown function, method, identifier, type or construct). These are never absorbed and
 *   never turn into an allow: they escape from `evaluate()` so the test that hit them fails.
 */

export class RulesRuntimeError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = "RulesRuntimeError";
  }
}

export class RulesUnsupportedError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`rules evaluator: ${message} at line ${line} is not supported (failing closed)`);
    this.name = "RulesUnsupportedError";
  }
}

export class RulesSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`rules syntax error at line ${line}:${column}: ${message}`);
    this.name = "RulesSyntaxError";
  }
}
