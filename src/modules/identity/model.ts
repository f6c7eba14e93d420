import { t } from "elysia";
import { DisplayText, OptionalCode } from "../../platform/http/request-schemas";
import { MIN_DIFFERENT_CHARACTERS, PASSWORD_MAX, PASSWORD_MIN } from "./passwords";

export const User = t.Object({
  id: t.String(),
  email: t.String(),
  name: t.String(),
  role: t.Union([t.Literal("user"), t.Literal("admin")]),
  emailVerified: t.Boolean(),
  twoFactorEnabled: t.Boolean(),
  antiPhishingCode: t.Union([t.String(), t.Null()]),
  frozen: t.Boolean(),
  /** Until when withdrawals and P2P sends are paused after a security change (password, 2FA off); null when they are not. */
  withdrawalsLockedUntil: t.Union([t.String(), t.Null()]),
  createdAt: t.String(),
});
export type User = typeof User.static;
export const UserAnswer = t.Object({ user: User });
/** 202: taken; what follows (a mail) happens whether or not anyone is there to get it. */
export const AcceptedAnswer = t.Object({ accepted: t.Literal(true) });

const Email = t.String({ format: "email", maxLength: 254 });
/** Any password a user might type, bounded so nobody makes us hash megabytes. */
const AnyPassword = t.String({ minLength: 1, maxLength: 1024 });
/**
 * Only a first bound: the service counts characters (TypeBox counts UTF-16 units, two for an emoji) against
 * PASSWORD_MIN and PASSWORD_MAX, and checks the common-password list, each with its own message.
 */
const NewPassword = t.String({
  minLength: PASSWORD_MIN,
  maxLength: 1024,
  // What a client's form should tell, since maxLength here is only the first bound (else 422 VALIDATION_FAILED).
  description:
    `${PASSWORD_MIN} to ${PASSWORD_MAX} characters, at least ${MIN_DIFFERENT_CHARACTERS} of them different; not one of the ` +
    "most common passwords, nor the email or the part before its @",
});
/** A six-digit TOTP code or a recovery code; one of another length is simply wrong (INVALID_TOTP). */
const Code = t.String({ minLength: 1, maxLength: 32 });

/**
 * A name is stored trimmed, so it needs one non-blank character (\S matches exactly what trim keeps), and
 * holds no control characters: a line break in it could pass for a line of a mail's own text.
 */
const Name = DisplayText(100);

export const RegisterBody = t.Object({ email: Email, password: NewPassword, name: Name });
export const LoginBody = t.Object({
  email: t.String({ minLength: 1, maxLength: 254 }),
  password: AnyPassword,
  code: OptionalCode,
});
/**
 * A token from a mail link. Any string that is not a live token, empty or odd-sized included, is simply unknown:
 * the service answers 400 INVALID_TOKEN (API.md). The bound only keeps absurd input out.
 */
const EmailToken = t.String({ maxLength: 1000 });
export const TokenBody = t.Object({ token: EmailToken });
/** An address no account can have (register takes the same format) is a typo to point out, not a 202 that mails nobody. */
export const ForgotBody = t.Object({ email: Email });
/** GET /api/admin/users?email=: the account to freeze, found by the email its owner gives support. */
export const UserLookupQuery = t.Object({ email: t.String({ minLength: 1, maxLength: 254 }) });
export const ResetBody = t.Object({ token: EmailToken, password: NewPassword });
export const ChangePasswordBody = t.Object({ currentPassword: AnyPassword, newPassword: NewPassword });
export const ProfileBody = t.Object({
  name: t.Optional(Name),
  // No space at either end: the length is the code's own, so "  ab  " is not a 4-character code (null clears it).
  antiPhishingCode: t.Optional(
    t.Union([
      t.String({
        minLength: 4,
        maxLength: 32,
        pattern: "^[A-Za-z0-9_-]([A-Za-z0-9 _-]*[A-Za-z0-9_-])?$",
        description: "letters, digits, spaces, _ and -, with no space at either end",
      }),
      t.Null(),
    ]),
  ),
});
export const CodeBody = t.Object({ code: Code });

export const Session = t.Object({
  id: t.String(),
  current: t.Boolean(),
  createdAt: t.String(),
  lastSeenAt: t.String(),
  ip: t.Union([t.String(), t.Null()]),
  userAgent: t.Union([t.String(), t.Null()]),
});
export type Session = typeof Session.static;
export const SessionList = t.Object({ items: t.Array(Session) });

export const TwoFactorSetup = t.Object({ secret: t.String(), otpauthUrl: t.String(), qrSvg: t.String() });
export const RecoveryCodes = t.Object({ recoveryCodes: t.Array(t.String()) });
/** GET /api/auth/2fa/recovery-codes (beyond API.md): how many are unused, never the codes themselves. */
export const RecoveryCodesLeft = t.Object({ remaining: t.Integer({ minimum: 0 }) });
export const Ok = t.Object({ ok: t.Literal(true) });
