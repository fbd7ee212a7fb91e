/** The subset of an OpenAPI 3 document the gateway merges. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown> | undefined>;
  tags?: Array<{ name: string }>;
  [key: string]: unknown;
}

/**
 * Merges the services' documents into the one document clients see at the base URL. Each path
 * belongs to exactly one service; shared components (problem schemas, security) are identical in
 * all services, so the first definition wins.
 */
export function mergeOpenApiDocuments(
  documents: OpenApiDocument[],
  info: OpenApiDocument['info'],
): OpenApiDocument {
  const merged: OpenApiDocument = {
    openapi: documents[0]?.openapi ?? '3.0.3',
    info,
    paths: {},
    components: {},
  };
  const tags = new Map<string, { name: string }>();
  for (const document of documents) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      merged.paths![path] = { ...(merged.paths![path] as object | undefined), ...(item as object) };
    }
    for (const [section, entries] of Object.entries(document.components ?? {})) {
      merged.components![section] = { ...entries, ...merged.components![section] };
    }
    for (const tag of document.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
    for (const [key, value] of Object.entries(document)) {
      if (!(key in merged) && key !== 'tags') merged[key] = value;
    }
  }
  if (tags.size > 0) merged.tags = [...tags.values()];
  return merged;
}
