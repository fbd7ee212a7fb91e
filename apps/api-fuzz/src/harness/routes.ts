import type { FuzzPlatform, ServiceName } from './platform';

/** The slice of JSON Schema (as the OpenAPI document prints TypeBox schemas) the fuzzer reads. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  examples?: unknown[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface RouteParameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

/** One operation of one service, as its OpenAPI document describes it. */
export interface Route {
  service: ServiceName;
  method: string;
  /** The OpenAPI path, `/v1/accounts/{id}`. */
  template: string;
  path: RouteParameter[];
  query: RouteParameter[];
  headers: RouteParameter[];
  /** The `application/json` request body schema, when the operation takes a body. */
  body?: JsonSchema;
  /** The operation documents an `Idempotency-Key` header: a money-moving command. */
  takes_idempotency_key: boolean;
  /** `METHOD /template`, for messages. */
  label: string;
}

interface OpenApiOperation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Every documented operation of every service, read from its own `/openapi.json`, so a route added
 * later is fuzzed without anyone editing this suite.
 */
export async function documentedRoutes(platform: FuzzPlatform): Promise<Route[]> {
  const routes: Route[] = [];
  for (const service of Object.keys(platform.apps) as ServiceName[]) {
    const response = await platform.apps[service].inject({ method: 'GET', url: '/openapi.json' });
    if (response.statusCode !== 200)
      throw new Error(`${service} /openapi.json answered ${response.statusCode}`);
    const document = response.json<{ paths: Record<string, Record<string, OpenApiOperation>> }>();
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!METHODS.includes(method)) continue;
        const parameters = (where: string) =>
          (operation.parameters ?? [])
            .filter((parameter) => parameter.in === where)
            .map((parameter) => ({
              name: parameter.name,
              required: parameter.required === true,
              schema: parameter.schema ?? {},
            }));
        const headers = parameters('header');
        const body = operation.requestBody?.content?.['application/json']?.schema;
        routes.push({
          service,
          method: method.toUpperCase(),
          template,
          path: parameters('path'),
          query: parameters('query'),
          headers,
          ...(body === undefined ? {} : { body }),
          takes_idempotency_key: headers.some((header) => header.name.toLowerCase() === 'idempotency-key'),
          label: `${method.toUpperCase()} ${template}`,
        });
      }
    }
  }
  return routes;
}
