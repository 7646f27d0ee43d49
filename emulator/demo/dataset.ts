/**
 * The demo organization: Contoso, two users (Dana, Lee), and a realistic last day of mail covering every
 * capture outcome — replies and threads, CCs, a teammate on the same thread, junk, a draft, a Teams chat,
 * an RSS item, a meeting request, a distribution-list mail, a blocked sender, deleted mail, mail older than
 * the backfill window, and mail from a contact the demo adds "late" (at start-up, 20 hours after the mail).
 * Clients and contacts live in the CRM, not the mailbox: see DEMO_CLIENTS, created through the API at start.
 * Times are relative to the emulator clock, so the demo is always "the last 24 hours".
 */
import type { DatasetMessage, EmulatorDataset } from "../dataset";
import { ADMIN_APP_ROLE } from "../../shared/api/contract";

export const DEMO_TENANT_ID = "6f1c2d3e-4b5a-4c6d-8e7f-90a1b2c3d4e5";
export const DEMO_CLIENT_ID = "0c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f";
export const DANA_ID = "a1b2c3d4-0000-4000-8000-00000000da0a";
export const LEE_ID = "a1b2c3d4-0000-4000-8000-0000000011ee";

export interface DemoClient {
  name: string;
  contacts: { email: string; name: string }[];
}

/** Created through the API when the demo starts, so every contact's createdAt is "now". */
export const DEMO_CLIENTS: DemoClient[] = [
  {
    name: "Acme Corp",
    contacts: [
      { email: "alice@acme.com", name: "Alice Martin" },
      { email: "ravi@acme.com", name: "Ravi Shah" },
    ],
  },
  // Bob's mail arrived 20 hours before the demo tracks him: still captured (within 24 hours).
  { name: "Globex", contacts: [{ email: "bob@globex.com", name: "Bob Novak" }] },
  { name: "Initech", contacts: [{ email: "carol@initech.com", name: "Carol Diaz" }] },
];

/** Organization-wide blocklist entries created at start. */
export const DEMO_BLOCKLIST = ["@noisy.example"];

export function demoDataset(publicUrl: string): EmulatorDataset {
  return { ...demoDirectory(new URL(publicUrl)), messages: demoMessages() };
}

/** Contoso, the demo app registration, Dana and Lee, and Dana's own folders. */
function demoDirectory(origin: URL): Omit<EmulatorDataset, "messages"> {
  return {
    tenants: [{ id: DEMO_TENANT_ID, displayName: "Contoso", domain: "contoso.com" }],
    apps: [
      {
        clientId: DEMO_CLIENT_ID,
        clientSecret: "demo-only-secret-not-for-production",
        displayName: "Engagement Capture (demo)",
        tenantId: DEMO_TENANT_ID,
        redirectUris: [`${origin.origin}/auth/callback`],
        spaRedirectUris: [
          `${origin.origin}/auth.html`,
          `${origin.origin}/dialog.html`,
          `brk-multihub://${origin.host}`,
        ],
      },
    ],
    users: [
      {
        tenantId: DEMO_TENANT_ID,
        id: DANA_ID,
        displayName: "Dana Kim",
        mail: "dana@contoso.com",
        userPrincipalName: "dana@contoso.com",
        proxyAddresses: ["SMTP:dana@contoso.com", "smtp:dana.kim@contoso.com"],
        jobTitle: "Customer Success Manager",
        // Dana administers the demo organization (the organization's blocklist, everyone's mailbox health); Lee does not.
        appRoleAssignments: [{ resourceAppId: DEMO_CLIENT_ID, value: ADMIN_APP_ROLE }],
      },
      {
        tenantId: DEMO_TENANT_ID,
        id: LEE_ID,
        displayName: "Lee Park",
        mail: "lee@contoso.com",
        userPrincipalName: "lee@contoso.com",
        proxyAddresses: ["SMTP:lee@contoso.com"],
        jobTitle: "Account Executive",
      },
    ],
    folders: [
      { userId: DANA_ID, key: "dana-clients", displayName: "Clients", parent: "inbox" },
      { userId: DANA_ID, key: "dana-acme", displayName: "Acme", parent: "dana-clients" },
      { userId: DANA_ID, key: "dana-rss", displayName: "RSS Feeds", containerClass: "IPF.Note.OutlookHomepage" },
      {
        userId: DANA_ID,
        key: "dana-rss-acme",
        displayName: "Acme blog",
        parent: "dana-rss",
        containerClass: "IPF.Note.OutlookHomepage",
      },
      {
        userId: DANA_ID,
        key: "dana-teamchat",
        displayName: "Team Chat",
        parent: "conversationhistory",
        isHidden: true,
      },
    ],
  };
}

/** The last day of Dana's and Lee's mail; times relative to the emulator clock. */
function demoMessages(): DatasetMessage[] {
  const dana = "Dana Kim <dana@contoso.com>";
  const lee = "Lee Park <lee@contoso.com>";
  const alice = "Alice Martin <alice@acme.com>";
  const ravi = "Ravi Shah <ravi@acme.com>";
  const bob = "Bob Novak <bob@globex.com>";
  const carol = "Carol Diaz <carol@initech.com>";
  const renewal = "<renewal-q1.4f2a@acme.com>";
  const renewalReply = "<re-renewal-q1.77b1@contoso.com>";

  const d = (m: Omit<DatasetMessage, "userId">): DatasetMessage => ({ userId: DANA_ID, ...m });
  const l = (m: Omit<DatasetMessage, "userId">): DatasetMessage => ({ userId: LEE_ID, ...m });

  return [
    // A thread with Acme: Alice writes, Dana replies cc Lee, Alice answers both.
    d({
      folder: "inbox",
      subject: "Renewal timeline for Q1",
      from: alice,
      to: [dana],
      receivedDateTime: "-6h",
      sentDateTime: "-6h",
      internetMessageId: renewal,
      conversationId: "conv-renewal",
      body: "Hi Dana,\n\nCould we walk through the renewal timeline next week? Procurement wants the paperwork by the 15th.\n\nThanks,\nAlice",
      bodyContentType: "text",
    }),
    d({
      folder: "sentitems",
      subject: "Re: Renewal timeline for Q1",
      from: dana,
      to: [alice],
      cc: [lee],
      sentDateTime: "-5h",
      receivedDateTime: "-5h",
      internetMessageId: renewalReply,
      conversationId: "conv-renewal",
      body: "Hi Alice,\n\nTuesday 10:00 works. Looping in Lee for the commercial side.\n\nDana",
      bodyContentType: "text",
    }),
    l({
      folder: "inbox",
      subject: "Re: Renewal timeline for Q1",
      from: dana,
      to: [alice],
      cc: [lee],
      sentDateTime: "-5h",
      receivedDateTime: "-5h",
      internetMessageId: renewalReply,
      conversationId: "conv-renewal-lee",
      body: "Hi Alice,\n\nTuesday 10:00 works. Looping in Lee for the commercial side.\n\nDana",
      bodyContentType: "text",
    }),
    d({
      folder: "dana-acme",
      subject: "Re: Re: Renewal timeline for Q1",
      from: alice,
      to: [dana],
      cc: [lee],
      receivedDateTime: "-2h",
      sentDateTime: "-2h",
      internetMessageId: "<re-re-renewal.93c0@acme.com>",
      conversationId: "conv-renewal",
      body: "Perfect — Tuesday it is. I'll send the draft order form.",
      bodyContentType: "text",
    }),
    l({
      folder: "inbox",
      subject: "Re: Re: Renewal timeline for Q1",
      from: alice,
      to: [dana],
      cc: [lee],
      receivedDateTime: "-2h",
      sentDateTime: "-2h",
      internetMessageId: "<re-re-renewal.93c0@acme.com>",
      conversationId: "conv-renewal-lee",
      body: "Perfect — Tuesday it is. I'll send the draft order form.",
      bodyContentType: "text",
    }),
    // Globex: Bob's mail is 20 hours old; the demo tracks Bob at start-up → still captured.
    d({
      folder: "inbox",
      subject: "Pilot feedback from the Globex team",
      from: bob,
      to: [dana],
      receivedDateTime: "-20h",
      sentDateTime: "-20h",
      internetMessageId: "<pilot-feedback.1b9d@globex.com>",
      body: "Dana, attached is the pilot feedback. Overall very positive; two asks on reporting.",
      bodyContentType: "text",
    }),
    // Initech: Carol to Dana with a CC.
    d({
      folder: "inbox",
      subject: "Onboarding call notes",
      from: carol,
      to: [dana],
      cc: ["Priya Rao <priya@initech.com>"],
      receivedDateTime: "-9h",
      sentDateTime: "-9h",
      internetMessageId: "<onboarding-notes.5e21@initech.com>",
      body: "Notes from today's onboarding call are below. Next check-in in two weeks.",
      bodyContentType: "text",
    }),
    // Deleted Items are captured.
    d({
      folder: "deleteditems",
      subject: "Invoice question",
      from: ravi,
      to: [dana],
      receivedDateTime: "-12h",
      sentDateTime: "-12h",
      internetMessageId: "<invoice-q.0a77@acme.com>",
      body: "Quick one: is the November invoice net 30 or net 45?",
      bodyContentType: "text",
    }),
    // Excluded, each for its own reason.
    d({
      folder: "junkemail",
      subject: "Re: your account",
      from: alice,
      to: [dana],
      receivedDateTime: "-7h",
      sentDateTime: "-7h",
      internetMessageId: "<junk-lookalike.c0de@acme.com>",
      body: "Click here to verify.",
      bodyContentType: "text",
    }),
    d({
      folder: "drafts",
      subject: "Proposal for Globex (draft)",
      from: dana,
      to: [bob],
      isDraft: true,
      receivedDateTime: "-1h",
      internetMessageId: "<draft-proposal.11aa@contoso.com>",
      body: "Draft — pricing TBD",
      bodyContentType: "text",
    }),
    d({
      folder: "dana-teamchat",
      subject: "IM",
      from: alice,
      to: [dana],
      messageClass: "IPM.SkypeTeams.Message",
      receivedDateTime: "-4h",
      sentDateTime: "-4h",
      internetMessageId: "<teams-chat.4455@acme.com>",
      body: "quick q — are we still on for Tuesday?",
      bodyContentType: "text",
    }),
    d({
      folder: "dana-rss-acme",
      subject: "Acme launches a new product line",
      from: "Acme blog <blog@acme.com>",
      to: [dana],
      messageClass: "IPM.Post.RSS",
      receivedDateTime: "-10h",
      sentDateTime: "-10h",
      internetMessageId: "<rss-item.9911@acme.com>",
      body: "Read more on our blog.",
      bodyContentType: "text",
    }),
    d({
      folder: "inbox",
      subject: "Quarterly business review",
      from: carol,
      to: [dana],
      meetingMessageType: "meetingRequest",
      receivedDateTime: "-8h",
      sentDateTime: "-8h",
      internetMessageId: "<qbr-invite.7788@initech.com>",
      body: "Invitation: QBR, Thursday 14:00.",
      bodyContentType: "text",
    }),
    d({
      folder: "inbox",
      subject: "All-hands on Friday",
      from: "People Team <people@contoso.com>",
      to: ["Everyone <all-staff@contoso.com>"],
      receivedDateTime: "-11h",
      sentDateTime: "-11h",
      internetMessageId: "<allhands.2233@contoso.com>",
      body: "See you on Friday.",
      bodyContentType: "text",
    }),
    d({
      folder: "inbox",
      subject: "Your weekly digest",
      from: "Vendor News <news@vendor.example>",
      to: [dana],
      receivedDateTime: "-3h",
      sentDateTime: "-3h",
      internetMessageId: "<digest.5566@vendor.example>",
      body: "Top stories this week…",
      bodyContentType: "text",
    }),
    d({
      folder: "inbox",
      subject: "Special offer for Acme partners",
      from: "Promotions <deals@mail.noisy.example>",
      to: [dana],
      cc: [alice],
      receivedDateTime: "-13h",
      sentDateTime: "-13h",
      internetMessageId: "<promo.8899@noisy.example>",
      body: "Limited time only.",
      bodyContentType: "text",
    }),
    d({
      folder: "inbox",
      subject: "Lunch?",
      from: lee,
      to: [dana],
      receivedDateTime: "-30m",
      sentDateTime: "-30m",
      internetMessageId: "<lunch.1212@contoso.com>",
      body: "Tacos at 12:30?",
      bodyContentType: "text",
    }),
    d({
      folder: "inbox",
      subject: "Kick-off recap (last week)",
      from: alice,
      to: [dana],
      receivedDateTime: "-60h",
      sentDateTime: "-60h",
      internetMessageId: "<kickoff.3434@acme.com>",
      body: "Thanks for a great kick-off.",
      bodyContentType: "text",
    }),
    // Lee's own client mail.
    l({
      folder: "sentitems",
      subject: "Initech order form",
      from: lee,
      to: [carol],
      sentDateTime: "-15h",
      receivedDateTime: "-15h",
      internetMessageId: "<order-form.6767@contoso.com>",
      body: "Carol, please find the order form attached.",
      bodyContentType: "text",
    }),
    // A new contact to try tracking in the preview: Priya is not tracked yet and no one else on it is, so
    // it is not captured until she is (Track Priya → "Will be captured" → Capture now).
    l({
      folder: "inbox",
      subject: "Re: Initech order form",
      from: "Priya Rao <priya@initech.com>",
      to: [lee],
      receivedDateTime: "-1h",
      sentDateTime: "-1h",
      internetMessageId: "<re-order-form.6868@initech.com>",
      body: "Signed copy attached.",
      bodyContentType: "text",
    }),
  ];
}
