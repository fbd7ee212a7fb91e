/** Why creating a customer failed; each names the input field at fault. */
export const CUSTOMER_CREATE_ERRORS = [
  'invalid_full_name',
  'invalid_email',
  'invalid_country',
  'invalid_date_of_birth',
] as const;
export type CustomerCreateError = (typeof CUSTOMER_CREATE_ERRORS)[number];

export const CUSTOMER_CREATE_ERROR_FIELD: Record<
  CustomerCreateError,
  'full_name' | 'email' | 'country' | 'date_of_birth'
> = {
  invalid_full_name: 'full_name',
  invalid_email: 'email',
  invalid_country: 'country',
  invalid_date_of_birth: 'date_of_birth',
};

export const CUSTOMER_UPDATE_ERRORS = ['not_found'] as const;
export type CustomerUpdateError = (typeof CUSTOMER_UPDATE_ERRORS)[number];
