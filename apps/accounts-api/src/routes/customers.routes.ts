import {
  CUSTOMER_CREATE_ERROR_FIELD,
  type CustomerCreateError,
  type CustomerService,
} from '@ledgerline/accounts';
import { problemResponses, validationFailed } from '@ledgerline/http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound, requireReader, requireWriter, scopeOf } from './access';
import {
  CreateCustomerBodySchema,
  CustomerParamsSchema,
  CustomerSchema,
  customerBody,
} from './customers.schemas';

export interface CustomerRoutesOptions {
  customers: CustomerService;
}

/** Every create error is a 400 on the field it names (a `Record`, so the compiler checks it is complete). */
const CREATE_ERROR_PATH: Record<CustomerCreateError, string> = {
  invalid_full_name: `/body/${CUSTOMER_CREATE_ERROR_FIELD.invalid_full_name}`,
  invalid_email: `/body/${CUSTOMER_CREATE_ERROR_FIELD.invalid_email}`,
  invalid_country: `/body/${CUSTOMER_CREATE_ERROR_FIELD.invalid_country}`,
  invalid_date_of_birth: `/body/${CUSTOMER_CREATE_ERROR_FIELD.invalid_date_of_birth}`,
};

/** `POST /v1/customers` (service, admin) and `GET /v1/customers/:id` (a customer sees only itself). */
export const customerRoutes: FastifyPluginAsyncTypebox<CustomerRoutesOptions> = async (
  app,
  { customers },
) => {
  app.post(
    '/v1/customers',
    {
      onRequest: requireWriter,
      schema: {
        tags: ['customers'],
        summary: 'Create a customer',
        body: CreateCustomerBodySchema,
        response: { 201: CustomerSchema, ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const result = await customers.create(request.body, { request_id: request.id });
      if (!result.ok)
        throw validationFailed([{ path: CREATE_ERROR_PATH[result.error], message: result.message }]);
      reply.code(201).header('location', `/v1/customers/${result.value.id}`);
      return customerBody(result.value);
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      onRequest: requireReader,
      schema: {
        tags: ['customers'],
        summary: 'Read a customer',
        params: CustomerParamsSchema,
        response: { 200: CustomerSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const customer = await customers.get(request.params.id, scopeOf(request));
      if (customer === null) throw notFound('customer');
      return customerBody(customer);
    },
  );
};
