import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemError, problemResponses, ROLES, UuidSchema, validationFailed, type ProblemCode } from '@ledgerline/http';
import Type from 'typebox';
import type { ApiClientService, CreateApiClientError } from '../clients/api-client-service';
import { requireRole } from '../plugin/guards';

const RoleSchema = Type.Enum(ROLES, { type: 'string' });

export const CreateClientRequestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: RoleSchema,
    customer_id: Type.Optional(Type.Union([UuidSchema, Type.Null()], { description: 'Required when role is customer; not allowed otherwise.' })),
  },
  { additionalProperties: false },
);

export const CreatedClientSchema = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String({ description: 'Shown once; only a slow hash is stored.' }),
  name: Type.String(),
  role: RoleSchema,
  customer_id: Type.Union([UuidSchema, Type.Null()]),
});

const PROBLEM_OF: Record<CreateApiClientError, { code: ProblemCode; path: string; message: string }> = {
  customer_binding_invalid: { code: 'validation_failed', path: '/body/customer_id', message: 'is required for role customer and not allowed for other roles' },
  customer_not_found: { code: 'not_found', path: '/body/customer_id', message: 'no customer has this id' },
};

/** `POST /v1/clients` (admin): creates an API client and shows its secret once. */
export const clientsRoute: FastifyPluginAsyncTypebox<{ clients: ApiClientService }> = async (app, { clients }) => {
  app.post(
    '/v1/clients',
    {
      onRequest: [requireRole('admin')],
      schema: {
        tags: ['auth'],
        summary: 'Create an API client',
        body: CreateClientRequestSchema,
        response: { 201: CreatedClientSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const result = await clients.create({ name: request.body.name, role: request.body.role, customer_id: request.body.customer_id ?? null });
      if (!result.ok) {
        const problem = PROBLEM_OF[result.error];
        if (problem.code === 'validation_failed') throw validationFailed([{ path: problem.path, message: problem.message }]);
        throw new ProblemError(problem.code, 'No customer has this id.');
      }
      request.log.info({ created_client_id: result.client.client_id, role: result.client.role }, 'api client created');
      reply.code(201).header('cache-control', 'no-store');
      return result.client;
    },
  );
};
