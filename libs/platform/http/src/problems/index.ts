/**
 * `@ledgerline/http/problems`: the contract's problem catalogue and body, without the rest of the HTTP
 * layer. For a process that answers problems but is not built with `buildServiceApp` (the gateway): the
 * main entry would load helmet, swagger, the rate limiter and prom-client with it.
 */
export { PROBLEM_CONTENT_TYPE, PROBLEMS, problemType, type ProblemCode } from './problem-codes';
export { problemBody, type ProblemBody } from './problem-error';
