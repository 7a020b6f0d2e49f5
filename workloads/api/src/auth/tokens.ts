// Access tokens: HS256 signed with JWT_SECRET (tokens this API issues at login) or verified against an
// OIDC issuer's JWKS. Either way the token's `tenant` claim must equal this deployment's tenant, so a
// token minted for tenant A is useless against tenant B even if both shared a secret or an issuer.
import { SignJWT, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
  tenant: string;
}

export interface TokenConfig {
  tenant: string;
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export class AuthError extends Error {}

const ISSUER = 'sentiment-api';

export class TokenService {
  private readonly secret?: Uint8Array;
  private readonly jwks?: JWTVerifyGetKey;

  constructor(private readonly config: TokenConfig) {
    if (config.secret) this.secret = new TextEncoder().encode(config.secret);
    if (config.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
    if (!this.secret && !this.jwks) throw new Error('TokenService needs a secret or a JWKS URL');
  }

  async issue(subject: string, role: Role, ttlSeconds = 3600): Promise<string> {
    if (!this.secret) throw new Error('this deployment verifies OIDC tokens only; it issues none');
    return new SignJWT({ role, tenant: this.config.tenant })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.secret);
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      payload =
        this.secret && isHs256(token)
          ? (await jwtVerify(token, this.secret, { algorithms: ['HS256'], issuer: ISSUER })).payload
          : (
              await jwtVerify(token, this.requireJwks(), {
                algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
                ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
                ...(this.config.audience ? { audience: this.config.audience } : {}),
              })
            ).payload;
    } catch (err) {
      throw new AuthError(err instanceof AuthError ? err.message : 'invalid or expired token');
    }
    const role = payload.role;
    if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role))
      throw new AuthError('token lacks subject or role');
    if (payload.tenant !== this.config.tenant) throw new AuthError('token belongs to another tenant');
    return { subject: payload.sub, role: role as Role, tenant: payload.tenant };
  }

  private requireJwks(): JWTVerifyGetKey {
    if (!this.jwks) throw new AuthError('token algorithm not accepted');
    return this.jwks;
  }
}

function isHs256(token: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      alg?: unknown;
    };
    return header.alg === 'HS256';
  } catch {
    return false;
  }
}

/** Roles are ordered: an admin may do what an analyst may, an analyst what a viewer may. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) <= ROLES.indexOf(needed);
}
