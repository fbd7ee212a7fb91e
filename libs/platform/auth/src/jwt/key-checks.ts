import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { JwtOptions, KeyPairJwtOptions } from './jwt-options';

const HS256_SECRET_BYTES_MIN = 32;
const RSA_MODULUS_BITS_MIN = 2048;

/**
 * Fails at start, with a message naming the key but never its content, when a configured key cannot
 * do its job: a short HMAC secret, a key of the wrong type or size for the algorithm, or a private
 * key that does not belong to the public key of the active kid (tokens would be unverifiable).
 */
export function assertUsableKeys(options: JwtOptions): void {
  if (options.algorithm === 'HS256') {
    if (Buffer.byteLength(options.secret, 'utf8') < HS256_SECRET_BYTES_MIN) {
      throw new Error(`JWT secret must be at least ${HS256_SECRET_BYTES_MIN} bytes for HS256`);
    }
    return;
  }
  const kids = Object.keys(options.public_keys);
  if (kids.length === 0) throw new Error('At least one JWT public key must be configured');
  for (const kid of kids) {
    let key: KeyObject;
    try {
      key = createPublicKey(options.public_keys[kid]!);
    } catch {
      throw new Error(`JWT public key ${kid} is not a valid PEM public key`);
    }
    assertKeyFits(options.algorithm, key, `JWT public key ${kid}`);
  }
  if (options.signing !== undefined) assertSigningKey(options, options.signing);
}

function assertSigningKey(options: KeyPairJwtOptions, signing: { kid: string; private_key: string }): void {
  const publicPem = options.public_keys[signing.kid];
  if (publicPem === undefined) throw new Error(`JWT signing kid ${signing.kid} has no public key`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(signing.private_key);
  } catch {
    throw new Error('JWT private key is not a valid PEM private key');
  }
  assertKeyFits(options.algorithm, privateKey, 'JWT private key');
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const configured = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  if (!derived.equals(configured))
    throw new Error(`JWT private key does not match the public key of kid ${signing.kid}`);
}

function assertKeyFits(algorithm: 'RS256' | 'ES256', key: KeyObject, name: string): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa' || (details.modulusLength ?? 0) < RSA_MODULUS_BITS_MIN) {
      throw new Error(`${name} must be an RSA key of at least ${RSA_MODULUS_BITS_MIN} bits for RS256`);
    }
  } else if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
    throw new Error(`${name} must be a P-256 EC key for ES256`);
  }
}
