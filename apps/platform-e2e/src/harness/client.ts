import { randomUUID } from 'node:crypto';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small HTTP client for the platform's base URL, as a bank's backend would use it. */
export class ApiClient {
  private token = '';

  constructor(private readonly baseUrl: string) {}

  async login(client_id: string, client_secret: string): Promise<void> {
    const response = await this.post('/v1/auth/token', { client_id, client_secret });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
    this.token = String(response.body['access_token']);
  }

  get<T = Record<string, unknown>>(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body, headers);
  }

  /** A money-moving POST with an Idempotency-Key (a fresh one unless given). */
  move<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    key: string = randomUUID(),
  ): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body, { 'idempotency-key': key });
  }

  async request<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.send<T>(
      method,
      path,
      body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) },
      headers,
    );
  }

  /** A request with a body of another media type (a CSV upload), or none. */
  async send<T>(
    method: string,
    path: string,
    body: { type: string; text: string } | undefined,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': body.type }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body?.text,
      signal: AbortSignal.timeout(40_000),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }
}
