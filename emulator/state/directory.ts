/**
 * The directory: tenants, app registrations and users (with their app-role assignments), and the
 * lookups Entra and Graph make by id, sign-in name or mail address.
 */
import type { AppRoleAssignment, DatasetApp, DatasetDomain, DatasetTenant, DatasetUser } from "../dataset";

export interface TenantRecord {
  id: string;
  displayName: string;
  domain: string;
  /** Given by the dataset; absent = derived from the users (verifiedDomainsOf). */
  verifiedDomains?: DatasetDomain[];
}

/** A verified domain as Graph's `verifiedDomain` resource shows it. */
export interface VerifiedDomain {
  capabilities: string;
  isDefault: boolean;
  isInitial: boolean;
  name: string;
  type: string;
}

export interface AppRecord {
  clientId: string;
  clientSecret?: string;
  displayName: string;
  tenantId?: string;
  redirectUris: string[];
  spaRedirectUris: string[];
  graphAppRoles: string[];
  /** App roles on API apps granted to this app: its client-credentials tokens' `roles` for that API. */
  appRoleAssignments: AppRoleAssignment[];
  servicePrincipalId?: string;
}

export interface UserRecord {
  tenantId: string;
  id: string;
  displayName: string;
  mail: string;
  userPrincipalName: string;
  proxyAddresses: string[];
  givenName?: string;
  surname?: string;
  jobTitle?: string;
  mailboxEnabled: boolean;
  appRoleAssignments: AppRoleAssignment[];
}

export class Directory {
  readonly tenants = new Map<string, TenantRecord>();
  readonly apps = new Map<string, AppRecord>();
  readonly users = new Map<string, UserRecord>();

  addTenant(t: DatasetTenant): TenantRecord {
    const rec: TenantRecord = {
      id: t.id,
      displayName: t.displayName ?? t.domain ?? t.id,
      domain: (t.domain ?? `${t.id}.onmicrosoft.com`).toLowerCase(),
    };
    if (t.verifiedDomains)
      rec.verifiedDomains = t.verifiedDomains.map((d) => (typeof d === "string" ? { name: d } : d));
    this.tenants.set(rec.id, rec);
    return rec;
  }

  /**
   * The tenant's verified domains: the dataset's, or its domain, its users' address domains and the initial
   * `<name>.onmicrosoft.com` every Entra tenant has. Default = the domain most users have their mail at.
   */
  verifiedDomainsOf(tenantId: string): VerifiedDomain[] {
    const t = this.tenants.get(tenantId);
    if (!t) return [];
    const domainOf = (a: string) =>
      a
        .slice(a.lastIndexOf("@") + 1)
        .trim()
        .toLowerCase();
    const users = [...this.users.values()].filter((u) => u.tenantId === tenantId);
    let given = t.verifiedDomains;
    if (!given) {
      const names = new Set<string>([t.domain]);
      for (const u of users) {
        for (const a of [
          u.mail,
          u.userPrincipalName,
          ...u.proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5)),
        ]) {
          if (a.includes("@")) names.add(domainOf(a));
        }
      }
      if (![...names].some((n) => n.endsWith(".onmicrosoft.com")))
        names.add(`${t.domain.split(".")[0]}.onmicrosoft.com`);
      given = [...names].map((name) => ({ name }));
    }
    const mailCounts = new Map<string, number>();
    for (const u of users)
      if (u.mail.includes("@")) mailCounts.set(domainOf(u.mail), (mailCounts.get(domainOf(u.mail)) ?? 0) + 1);
    const names = given.map((d) => d.name.toLowerCase());
    const initial =
      given.find((d) => d.isInitial)?.name.toLowerCase() ??
      names.find((n) => n.endsWith(".onmicrosoft.com")) ??
      names[0];
    const byMail = names.filter((n) => mailCounts.has(n)).sort((a, b) => mailCounts.get(b)! - mailCounts.get(a)!)[0];
    const dflt =
      given.find((d) => d.isDefault)?.name.toLowerCase() ?? byMail ?? (names.includes(t.domain) ? t.domain : initial);
    return given.map((d) => ({
      capabilities: d.capabilities ?? "Email, OfficeCommunicationsOnline",
      isDefault: d.name.toLowerCase() === dflt,
      isInitial: d.name.toLowerCase() === initial,
      name: d.name.toLowerCase(),
      type: d.type ?? "Managed",
    }));
  }

  /** A tenant by GUID, verified domain, or the domain's first label ("contoso"). */
  findTenant(segment: string): TenantRecord | undefined {
    const s = segment.toLowerCase();
    for (const t of this.tenants.values()) {
      if (t.id.toLowerCase() === s || t.domain === s || t.domain.split(".")[0] === s) return t;
    }
    return undefined;
  }

  addApp(a: DatasetApp): AppRecord {
    const rec: AppRecord = {
      clientId: a.clientId,
      clientSecret: a.clientSecret,
      displayName: a.displayName ?? "Engagement Capture",
      tenantId: a.tenantId,
      redirectUris: [...(a.redirectUris ?? [])],
      spaRedirectUris: [...(a.spaRedirectUris ?? [])],
      graphAppRoles: [...(a.graphAppRoles ?? [])],
      appRoleAssignments: [...(a.appRoleAssignments ?? [])],
      servicePrincipalId: a.servicePrincipalId,
    };
    this.apps.set(rec.clientId, rec);
    return rec;
  }

  /** Add (or replace) a user; an unknown tenant is created with default names. */
  addUser(u: DatasetUser): UserRecord {
    if (!this.tenants.has(u.tenantId)) this.addTenant({ id: u.tenantId });
    const rec: UserRecord = {
      tenantId: u.tenantId,
      id: u.id,
      displayName: u.displayName,
      mail: u.mail,
      userPrincipalName: u.userPrincipalName,
      proxyAddresses: u.proxyAddresses ?? [`SMTP:${u.mail}`],
      givenName: u.givenName,
      surname: u.surname,
      jobTitle: u.jobTitle,
      mailboxEnabled: u.mailboxEnabled ?? true,
      appRoleAssignments: [...(u.appRoleAssignments ?? [])],
    };
    this.users.set(rec.id, rec);
    return rec;
  }

  getUser(userId: string): UserRecord | undefined {
    return this.users.get(userId);
  }

  requireUser(userId: string): UserRecord {
    const u = this.users.get(userId);
    if (!u) throw new Error(`Unknown user ${userId}`);
    return u;
  }

  findUserByLogin(hint: string, tenantId?: string): UserRecord | undefined {
    const h = hint.trim().toLowerCase();
    for (const u of this.users.values()) {
      if (tenantId && u.tenantId !== tenantId) continue;
      if (u.userPrincipalName.toLowerCase() === h || u.mail.toLowerCase() === h) return u;
    }
    return undefined;
  }

  /** Users whose mailbox would receive mail sent to `address` (mail, UPN or an smtp proxy address). */
  findUserByAddress(address: string): UserRecord | undefined {
    const a = address.trim().toLowerCase();
    for (const u of this.users.values()) {
      if (u.mail.toLowerCase() === a || u.userPrincipalName.toLowerCase() === a) return u;
      if (u.proxyAddresses.some((p) => p.toLowerCase() === `smtp:${a}`)) return u;
    }
    return undefined;
  }

  setMailboxEnabled(userId: string, enabled: boolean): void {
    this.requireUser(userId).mailboxEnabled = enabled;
  }

  /** Replace the app roles one client app holds on one API app; its next client-credentials token for that API carries them. */
  setClientAppRoles(clientId: string, resourceAppId: string, values: string[]): void {
    const app = this.apps.get(clientId);
    if (!app) throw new Error(`Unknown app ${clientId}`);
    app.appRoleAssignments = [
      ...app.appRoleAssignments.filter((a) => a.resourceAppId !== resourceAppId),
      ...values.map((value) => ({ resourceAppId, value })),
    ];
  }

  /** Replace the user's app roles on one API app; their next access token for it carries the new `roles`. */
  setAppRoles(userId: string, resourceAppId: string, values: string[]): void {
    const user = this.requireUser(userId);
    user.appRoleAssignments = [
      ...user.appRoleAssignments.filter((a) => a.resourceAppId !== resourceAppId),
      ...values.map((value) => ({ resourceAppId, value })),
    ];
  }
}
