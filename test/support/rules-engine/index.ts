export * from "./ast.js";
export * from "./errors.js";
export * from "./values.js";
export { parseRules, parseExpression } from "./parser.js";
export {
  DEFAULT_REQUEST_TIME,
  RulesEngine,
  type Database,
  type Decision,
  type EngineOptions,
  type Outcome,
  type QueryFilter,
  type QueryOp,
  type RulesAuth,
  type RulesQuery,
  type RulesRequest,
  type StatementResult,
} from "./engine.js";
