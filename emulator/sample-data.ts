/**
 * The seeded dataset of `npm run emulator` and the demo: tenant "contoso", one app registration,
 * three users and a day of mail with a mix of the cases the capture rules care about.
 * Times are relative, so the data is always "the last 24 hours".
 */
import type { EmulatorDataset } from "./dataset";

export const SAMPLE_TENANT_ID = "7c1a2f5e-3b0d-4c6e-9a51-2f8e6d4b1c01";
export const SAMPLE_CLIENT_ID = "4f2a9c3e-8d71-4b6a-a0e5-6c1d2b3f4a10";
export const SAMPLE_CLIENT_SECRET = "emulator-secret~Q8x.3kP1vZ";
export const SAMPLE_USERS = {
  ada: "0b1c2d3e-0001-4a5b-8c6d-7e8f90a1b2c3",
  ben: "0b1c2d3e-0002-4a5b-8c6d-7e8f90a1b2c3",
  cleo: "0b1c2d3e-0003-4a5b-8c6d-7e8f90a1b2c3",
} as const;

export function sampleDataset(opts: { redirectUris?: string[]; spaRedirectUris?: string[] } = {}): EmulatorDataset {
  const { ada, ben, cleo } = SAMPLE_USERS;
  const adaAddr = "Ada Lovelace <ada@contoso.com>";
  return {
    tenants: [{ id: SAMPLE_TENANT_ID, displayName: "Contoso", domain: "contoso.onmicrosoft.com" }],
    apps: [
      {
        clientId: SAMPLE_CLIENT_ID,
        clientSecret: SAMPLE_CLIENT_SECRET,
        displayName: "Engagement Capture",
        tenantId: SAMPLE_TENANT_ID,
        redirectUris: opts.redirectUris ?? [
          "https://localhost:3000/auth/callback",
          "http://localhost:3000/auth/callback",
        ],
        // The pane signs in through auth.html (popup outside Office) and dialog.html (Office dialog); NAA via brk-multihub.
        spaRedirectUris: opts.spaRedirectUris ?? [
          "https://localhost:3000/auth.html",
          "https://localhost:3000/dialog.html",
          "brk-multihub://localhost:3000",
        ],
      },
    ],
    users: [
      {
        tenantId: SAMPLE_TENANT_ID,
        id: ada,
        displayName: "Ada Lovelace",
        mail: "ada@contoso.com",
        userPrincipalName: "ada@contoso.onmicrosoft.com",
        proxyAddresses: ["SMTP:ada@contoso.com", "smtp:ada@contoso.onmicrosoft.com", "smtp:a.lovelace@contoso.com"],
        jobTitle: "Customer Success Manager",
      },
      {
        tenantId: SAMPLE_TENANT_ID,
        id: ben,
        displayName: "Ben Okafor",
        mail: "ben@contoso.com",
        userPrincipalName: "ben@contoso.onmicrosoft.com",
        proxyAddresses: ["SMTP:ben@contoso.com", "smtp:ben@contoso.onmicrosoft.com"],
        jobTitle: "Account Executive",
      },
      {
        tenantId: SAMPLE_TENANT_ID,
        id: cleo,
        displayName: "Cleo Park",
        mail: "cleo@contoso.com",
        userPrincipalName: "cleo@contoso.onmicrosoft.com",
        proxyAddresses: ["SMTP:cleo@contoso.com"],
        mailboxEnabled: false,
      },
    ],
    folders: [
      { userId: ada, key: "clients", displayName: "Clients", parent: "inbox" },
      { userId: ada, key: "fabrikam", displayName: "Fabrikam", parent: "clients" },
    ],
    messages: [
      {
        userId: ada,
        folder: "inbox",
        subject: "Renewal questions",
        from: "Grace Hopper <grace@fabrikam.com>",
        to: [adaAddr],
        receivedDateTime: "-20h",
        body: "Hi Ada, a few questions about the renewal.",
      },
      {
        userId: ada,
        folder: "sentitems",
        subject: "RE: Renewal questions",
        from: adaAddr,
        to: ["Grace Hopper <grace@fabrikam.com>"],
        sentDateTime: "-19h",
        receivedDateTime: "-19h",
        isRead: true,
        body: "Hi Grace, answers inline.",
      },
      {
        userId: ada,
        folder: "fabrikam",
        subject: "Onboarding plan",
        from: "Linus Torvalds <linus@fabrikam.com>",
        to: [adaAddr],
        cc: ["ben@contoso.com"],
        receivedDateTime: "-15h",
        body: "Attached is the plan.",
        hasAttachments: true,
      },
      {
        userId: ada,
        folder: "inbox",
        subject: "QBR",
        from: "Grace Hopper <grace@fabrikam.com>",
        to: [adaAddr],
        receivedDateTime: "-12h",
        meetingMessageType: "meetingRequest",
        body: "Quarterly business review",
      },
      {
        userId: ada,
        folder: "inbox",
        subject: "Newsletter",
        from: "news@tailspin.example",
        to: ["all@contoso.com"],
        receivedDateTime: "-10h",
        inferenceClassification: "other",
        body: "This week's news.",
      },
      {
        userId: ada,
        folder: "junkemail",
        subject: "You won!",
        from: "prize@spam.example",
        to: [adaAddr],
        receivedDateTime: "-9h",
        body: "Claim now.",
      },
      {
        userId: ada,
        folder: "drafts",
        subject: "Draft to Grace",
        to: ["grace@fabrikam.com"],
        isDraft: true,
        createdDateTime: "-8h",
        receivedDateTime: "-8h",
        body: "Unfinished",
      },
      {
        userId: ada,
        folder: "teamchat",
        subject: "IM",
        from: "Grace Hopper <grace@fabrikam.com>",
        to: [adaAddr],
        receivedDateTime: "-6h",
        messageClass: "IPM.SkypeTeams.Message",
        body: "quick question",
      },
      {
        userId: ada,
        folder: "rssfeeds",
        subject: "Release notes",
        from: "feeds@contoso.com",
        to: [adaAddr],
        receivedDateTime: "-5h",
        messageClass: "IPM.Post.RSS",
        body: "New release",
      },
      {
        userId: ada,
        folder: "deleteditems",
        subject: "Handled: invoice",
        from: "Linus Torvalds <linus@fabrikam.com>",
        to: [adaAddr],
        receivedDateTime: "-4h",
        isRead: true,
        body: "Invoice attached.",
      },
      {
        userId: ada,
        folder: "inbox",
        subject: "Signed contract",
        from: "Grace Hopper <grace@fabrikam.com>",
        to: [adaAddr],
        receivedDateTime: "-2h",
        messageClass: "IPM.Note.SMIME",
        body: "Signed.",
      },
      {
        userId: ada,
        folder: "inbox",
        subject: "Bcc only",
        from: "Grace Hopper <grace@fabrikam.com>",
        to: ["team@fabrikam.com"],
        bcc: [adaAddr],
        receivedDateTime: "-1h",
        body: "FYI",
      },
      {
        userId: ben,
        folder: "inbox",
        subject: "Onboarding plan",
        from: "Linus Torvalds <linus@fabrikam.com>",
        to: [adaAddr],
        cc: ["ben@contoso.com"],
        receivedDateTime: "-15h",
        body: "Attached is the plan.",
      },
      {
        userId: ben,
        folder: "sentitems",
        subject: "Pricing",
        from: "Ben Okafor <ben@contoso.com>",
        to: ["Margaret Hamilton <margaret@northwind.example>"],
        sentDateTime: "-3h",
        receivedDateTime: "-3h",
        isRead: true,
        body: "Here is our pricing.",
      },
    ],
  };
}
