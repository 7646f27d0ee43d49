// Writes the add-in icons (16/32/64/80/128 px PNG) without image tooling: a blue rounded square
// with a white envelope and a check mark, drawn by signed-distance tests and 4x4 supersampling.
// Run: node assets/make-icons.js  (the PNGs are committed; rerun only to change the design).
const { deflateSync } = require("node:zlib");
const { writeFileSync } = require("node:fs");
const path = require("node:path");

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x, y);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0; // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// Shapes in unit coordinates (0..1).
const roundedSquare = (u, v) => {
  const r = 0.2,
    h = 0.5 - r;
  const dx = Math.max(Math.abs(u - 0.5) - h, 0),
    dy = Math.max(Math.abs(v - 0.5) - h, 0);
  return Math.hypot(dx, dy) <= r;
};
const segDist = (px, py, ax, ay, bx, by) => {
  const vx = bx - ax,
    vy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(px - (ax + t * vx), py - (ay + t * vy));
};
const white = (u, v) => {
  const w = 0.055;
  // Envelope: outline rectangle 0.2..0.8 x 0.28..0.72 plus the flap.
  const inX = u >= 0.2 - w / 2 && u <= 0.8 + w / 2,
    inY = v >= 0.28 - w / 2 && v <= 0.72 + w / 2;
  const border =
    inX &&
    inY &&
    (Math.abs(u - 0.2) < w / 2 ||
      Math.abs(u - 0.8) < w / 2 ||
      Math.abs(v - 0.28) < w / 2 ||
      Math.abs(v - 0.72) < w / 2);
  const flap = segDist(u, v, 0.2, 0.28, 0.5, 0.5) < w / 2 || segDist(u, v, 0.8, 0.28, 0.5, 0.5) < w / 2;
  return border || flap;
};
const check = (u, v) => segDist(u, v, 0.56, 0.76, 0.66, 0.86) < 0.05 || segDist(u, v, 0.66, 0.86, 0.88, 0.6) < 0.05;
const badge = (u, v) => Math.hypot(u - 0.72, v - 0.74) < 0.22;

const BLUE = [15, 108, 189],
  GREEN = [16, 124, 16];
for (const size of [16, 32, 64, 80, 128]) {
  const S = 4;
  const buf = png(size, (x, y) => {
    let acc = [0, 0, 0, 0];
    for (let sy = 0; sy < S; sy++)
      for (let sx = 0; sx < S; sx++) {
        const u = (x + (sx + 0.5) / S) / size,
          v = (y + (sy + 0.5) / S) / size;
        let c = null;
        if (size >= 32 && check(u, v)) c = [255, 255, 255];
        else if (size >= 32 && badge(u, v)) c = GREEN;
        else if (white(u, v) && roundedSquare(u, v)) c = [255, 255, 255];
        else if (roundedSquare(u, v)) c = BLUE;
        if (c) acc = [acc[0] + c[0], acc[1] + c[1], acc[2] + c[2], acc[3] + 255];
      }
    const n = acc[3] / 255;
    return n
      ? [Math.round(acc[0] / n), Math.round(acc[1] / n), Math.round(acc[2] / n), Math.round(acc[3] / (S * S))]
      : [0, 0, 0, 0];
  });
  writeFileSync(path.join(__dirname, `icon-${size}.png`), buf);
}
