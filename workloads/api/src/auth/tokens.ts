// Access tokens: HS256 signed with JWT_SECRET (tokens this API issues at login) or verified against an
// OIDC issuer's JWKS. Either way the token's `tenant` claim must be this deployment's `<namespace>/<name>`
// (a name alone repeats across namespaces), so a token minted for tenant A is useless against tenant B
// even if both share a secret or an identity provider. Tokens this API issues also carry the platform's
// uid (`tid`): a platform deleted and created again under the same name refuses its predecessor's tokens.
import { SignJWT, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
  tenant: string;
}

export interface TokenConfig {
  /** `<namespace>/<name>` of this deployment's SentimentPlatform. */
  tenant: string;
  /** The SentimentPlatform's metadata.uid. */
  tenantUid: string;
  secret?: string;
  jwksUrl?: string;
  /** Required with jwksUrl, like audience: the IdP's other applications get tokens signed by the same keys. */
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
    if (config.jwksUrl) {
      if (!config.issuer || !config.audience)
        throw new Error('OIDC verification needs an issuer and an audience');
      this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
    }
    if (!this.secret && !this.jwks) throw new Error('TokenService needs a secret or a JWKS URL');
  }

  async issue(subject: string, role: Role, ttlSeconds = 3600): Promise<string> {
    if (!this.secret) throw new Error('this deployment verifies OIDC tokens only; it issues none');
    return new SignJWT({ role, tenant: this.config.tenant, tid: this.config.tenantUid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.secret);
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    const ours = Boolean(this.secret) && isHs256(token);
    try {
      // A token without `exp` would be valid forever.
      payload = ours
        ? (
            await jwtVerify(token, this.secret!, {
              algorithms: ['HS256'],
              issuer: ISSUER,
              requiredClaims: ['exp'],
            })
          ).payload
        : (
            await jwtVerify(token, this.requireJwks(), {
              algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
              issuer: this.config.issuer,
              audience: this.config.audience,
              requiredClaims: ['exp'],
            })
          ).payload;
    } catch (err) {
      throw new AuthError(err instanceof AuthError ? err.message : 'invalid or expired token');
    }
    const role = payload.role;
    if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role))
      throw new AuthError('token lacks subject or role');
    // An IdP cannot know the uid, so its tokens are bound by the tenant claim alone.
    if (payload.tenant !== this.config.tenant || (ours && payload.tid !== this.config.tenantUid))
      throw new AuthError('token belongs to another tenant');
    return { subject: payload.sub, role: role as Role, tenant: this.config.tenant };
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
