import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROLES, UuidSchema, validationFailed } from '@ledgerline/http';
import Type from 'typebox';
import type { ApiClientService, CreateApiClientError } from '../clients/api-client-service';
import { requireRole } from '../plugin/guards';

const RoleSchema = Type.Enum(ROLES, { type: 'string' });

export const CreateClientRequestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: RoleSchema,
    customer_id: Type.Optional(
      Type.Union([UuidSchema, Type.Null()], {
        description: 'Required when role is customer; not allowed otherwise.',
      }),
    ),
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

/** Every refusal is a 400 on `customer_id`, as opening an account for an unknown customer is. */
const FIELD_ERROR_OF: Record<CreateApiClientError, { path: string; message: string }> = {
  customer_binding_invalid: {
    path: '/body/customer_id',
    message: 'is required for role customer and not allowed for other roles',
  },
  customer_not_found: { path: '/body/customer_id', message: 'no customer has this id' },
};

/** `POST /v1/clients` (admin): creates an API client and shows its secret once. */
export const clientsRoute: FastifyPluginAsyncTypebox<{ clients: ApiClientService }> = async (
  app,
  { clients },
) => {
  app.post(
    '/v1/clients',
    {
      onRequest: [requireRole('admin')],
      schema: {
        tags: ['auth'],
        summary: 'Create an API client',
        body: CreateClientRequestSchema,
        response: { 201: CreatedClientSchema },
      },
    },
    async (request, reply) => {
      const result = await clients.create({
        name: request.body.name,
        role: request.body.role,
        customer_id: request.body.customer_id ?? null,
      });
      if (!result.ok) throw validationFailed([FIELD_ERROR_OF[result.error]]);
      request.log.info(
        { created_client_id: result.client.client_id, role: result.client.role },
        'api client created',
      );
      reply.code(201).header('cache-control', 'no-store');
      return result.client;
    },
  );
};
