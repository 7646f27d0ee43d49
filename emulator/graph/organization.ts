/**
 * `GET /organization` (and `/organization/{id}`): the signed-in user's (or the app's) tenant. With only
 * User.Read Graph fills `id`, `displayName` and `verifiedDomains` and returns every other property null.
 */
import type { EmulatorState } from "../state";
import {
  type Caller,
  GraphFailure,
  type GraphRequest,
  type GraphResponse,
  methodNotAllowed,
  ok,
  requireScope,
} from "./protocol";

const ORG_ROLES = [
  "organization.read.all",
  "organization.readwrite.all",
  "directory.read.all",
  "directory.readwrite.all",
];
const ORG_READ = ["user.read", ...ORG_ROLES];

/** Properties of `organization` that User.Read does not reveal (returned null). */
const NULL_PROPERTIES = [
  "deletedDateTime",
  "businessPhones",
  "city",
  "country",
  "countryLetterCode",
  "createdDateTime",
  "defaultUsageLocation",
  "marketingNotificationEmails",
  "onPremisesLastSyncDateTime",
  "onPremisesSyncEnabled",
  "partnerTenantType",
  "postalCode",
  "preferredLanguage",
  "securityComplianceNotificationMails",
  "securityComplianceNotificationPhones",
  "state",
  "street",
  "technicalNotificationMails",
  "tenantType",
  "directorySizeQuota",
  "privacyProfile",
  "assignedPlans",
  "onPremisesProvisioningErrors",
  "provisionedPlans",
];

export function organization(st: EmulatorState, caller: Caller, segs: string[], req: GraphRequest): GraphResponse {
  if (req.method !== "GET") throw methodNotAllowed();
  // App-only callers need Organization.Read.All or Directory.Read.All (roles); delegated ones User.Read.
  if (caller.userId === null) {
    if (!ORG_ROLES.some((r) => caller.roles.has(r))) {
      throw new GraphFailure(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    }
  } else requireScope(caller, ORG_READ, true);
  const tenant = st.tenants.get(caller.tenantId);
  if (!tenant || segs.length > 2)
    throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${segs[segs.length - 1]}'.`);
  const entity: Record<string, unknown> = { id: tenant.id };
  for (const p of NULL_PROPERTIES) entity[p] = null;
  entity.displayName = tenant.displayName;
  entity.verifiedDomains = st.directory.verifiedDomainsOf(tenant.id);
  if (segs.length === 2) {
    if (segs[1].toLowerCase() !== tenant.id.toLowerCase()) {
      throw new GraphFailure(
        404,
        "Request_ResourceNotFound",
        `Resource '${segs[1]}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    return ok({ "@odata.context": `${st.url}/v1.0/$metadata#organization/$entity`, ...entity });
  }
  return ok({ "@odata.context": `${st.url}/v1.0/$metadata#organization`, value: [entity] });
}
