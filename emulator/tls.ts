/**
 * A throw-away certificate authority and a leaf certificate for localhost/127.0.0.1, made at
 * start-up: the Graph SDK only sends tokens to https URLs and MSAL refuses http authorities,
 * so the emulator must speak TLS; clients trust `caPem` (NODE_EXTRA_CA_CERTS or an injected CA).
 */
import selfsigned from "selfsigned";

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export async function generateTls(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  const ca = await selfsigned.generate([{ name: "commonName", value: "Engagement Capture M365 Emulator CA" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { certPem: leaf.cert, keyPem: leaf.private, caPem: ca.cert };
}
