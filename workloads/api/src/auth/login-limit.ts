// Login throttling, in two budgets per window:
// - per client address, every attempt counts (counted before the password check, so a burst cannot slip
//   through between check and count): one address cannot guess fast, whatever accounts it tries;
// - per account, failures count; an account over its budget is closed only to the addresses that failed
//   on it. A guesser is throttled, but cannot lock the owner out: the right password from an address
//   that has not failed on the account still logs in. (A guesser with many addresses gets one more
//   guess per fresh address per window: the price of not handing every tenant's well-known admin e-mail
//   to anyone who wants it locked.)
// Counted in http/window-counter.ts: shared by every API replica through Redis.
import type { WindowCounter } from '../http/window-counter.js';

export interface LoginBudgets {
  /** Attempts per client address per window. */
  perAddress: number;
  /** Failures per account per window before it closes to the addresses that failed on it. */
  perAccount: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_BUDGETS: LoginBudgets = { perAddress: 10, perAccount: 10, windowSeconds: 300 };

export class LoginLimiter {
  constructor(
    private readonly counter: WindowCounter,
    private readonly budgets: LoginBudgets = DEFAULT_LOGIN_BUDGETS,
  ) {}

  /** Counts an attempt by `address` on `account`; false when it must not be checked (throttled). */
  async admit(account: string, address: string): Promise<boolean> {
    const { perAddress, perAccount, windowSeconds } = this.budgets;
    if ((await this.counter.incr(`login:ip:${address}`, windowSeconds)) > perAddress) return false;
    if ((await this.counter.get(`login:account:${account}`)) < perAccount) return true;
    return (await this.counter.get(pairKey(account, address))) === 0;
  }

  /** Records a wrong password for `account` from `address`. */
  async failed(account: string, address: string): Promise<void> {
    const { windowSeconds } = this.budgets;
    await this.counter.incr(`login:account:${account}`, windowSeconds);
    await this.counter.incr(pairKey(account, address), windowSeconds);
  }
}

// The address goes last: e-mail addresses cannot contain whitespace, so the key is unambiguous.
const pairKey = (account: string, address: string) => `login:account:${account} ip:${address}`;
