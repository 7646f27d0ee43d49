/** WEBHOOK_ENDPOINTS_PER_ORGANIZATION bounds how many endpoints one organization registers, on SQLite and PostgreSQL. */
import { databaseTargets, type TestDatabase } from "../db/databases";
import { provisionUser } from "../../server/store/users";
import { ORG, openWorld, type World } from "./support";

const OTHER_ORG = "bbbbbbbb-0000-0000-0000-0000000000bb";

jest.setTimeout(30_000);

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`webhook endpoint cap on ${target.name}`, () => {
    let h: TestDatabase;
    let w: World;
    beforeEach(async () => {
      h = await target.open();
      w = await openWorld(h, { maxEndpoints: 2 });
    });
    afterEach(async () => {
      await w.webhooks.close();
      await h.close();
    });

    const register = (n: number) =>
      w.webhooks.admin.create(
        ORG,
        { url: `https://localhost:9/hooks/${n}`, description: null, eventTypes: ["engagement.created"] },
        "user-admin",
      );

    it("refuses the endpoint past the configured cap with webhook_quota_exceeded, and admits one after a delete", async () => {
      const first = await register(1);
      await register(2);
      await expect(register(3)).rejects.toMatchObject({
        code: "webhook_quota_exceeded",
        message: "An organization has at most 2 webhook endpoints.",
      });
      // Another organization's endpoints do not count against this one's cap.
      await provisionUser(
        h.db,
        { organizationId: OTHER_ORG, oid: "oid-other", email: "admin@fabrikam.com", displayName: "Other" },
        w.clock.now(),
      );
      await expect(
        w.webhooks.admin.create(
          OTHER_ORG,
          { url: "https://localhost:9/other", description: null, eventTypes: ["engagement.created"] },
          "user-other",
        ),
      ).resolves.toMatchObject({ status: "active" });
      await w.webhooks.admin.remove(ORG, first.id);
      await expect(register(4)).resolves.toMatchObject({ status: "active" });
    });
  });
}
