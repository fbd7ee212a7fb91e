import type { RouteOptions } from 'fastify';
import { ProblemResponse, type ProblemStatus } from '../schemas/common';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Adds problem response schemas for `statuses` to a route that declares responses, without
 * replacing any the route declared itself. Plugins call it from `onRoute` hooks for statuses they
 * can cause on every route (the auth plugin adds 401).
 */
export function addProblemResponses(routeOptions: RouteOptions, statuses: readonly ProblemStatus[]): void {
  const schema = routeOptions.schema;
  if (schema?.response === undefined || schema.response === null || typeof schema.response !== 'object')
    return;
  const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown>) };
  for (const status of statuses) {
    if (response[status] === undefined && response[String(status)] === undefined)
      response[status] = ProblemResponse;
  }
  routeOptions.schema = { ...schema, response };
}

/**
 * `onRoute` hook of every service app. API routes (`/v1/...`) must declare their responses, because
 * the response schema is the allow-list of what leaves the service and the source of the OpenAPI
 * document. The problems any route can produce are filled in here so that each route lists only
 * the ones it decides itself.
 */
export function completeRouteSchemas(routeOptions: RouteOptions): void {
  const methods = Array.isArray(routeOptions.method) ? routeOptions.method : [routeOptions.method];
  const response = routeOptions.schema?.response as Record<string, unknown> | undefined;
  if (
    routeOptions.url.startsWith('/v1/') &&
    !Object.keys(response ?? {}).some((status) => /^2/.test(status))
  ) {
    throw new Error(
      `Route ${methods.join(',')} ${routeOptions.url} must declare a response schema for its success status`,
    );
  }
  const schema = routeOptions.schema;
  const validatesInput =
    schema?.body !== undefined ||
    schema?.querystring !== undefined ||
    schema?.params !== undefined ||
    schema?.headers !== undefined;
  const statuses: ProblemStatus[] = [429, 500, 503];
  if (validatesInput) statuses.push(400);
  if (methods.some((method) => METHODS_WITH_BODY.has(method))) statuses.push(400, 413, 415);
  addProblemResponses(routeOptions, statuses);
}
