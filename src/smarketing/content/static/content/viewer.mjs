// The tracked-link viewer: renders the document (PDF.js for PDFs, served from this site) and
// reports the seconds spent on each page. Only a browser that runs this script is counted.
const cfg = JSON.parse(document.getElementById("viewer-config").textContent);
const doc = document.getElementById("doc");
const seconds = {};
let visit = null;
let current = 1;
let last = performance.now();

async function post(url, body, beacon) {
  const data = JSON.stringify(body);
  if (beacon && navigator.sendBeacon) {
    navigator.sendBeacon(url, new Blob([data], { type: "application/json" }));
    return null;
  }
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: data, keepalive: true });
}

async function start(email) {
  const r = await post(cfg.visit, { email: email || "" });
  const answer = await r.json();
  if (!r.ok) {
    const detail = Object.values(answer.detail || {}).flat().join(" ");
    throw new Error(detail || "This document cannot be opened.");
  }
  visit = answer.visit;
  last = performance.now();
}

function tick() {
  const now = performance.now();
  if (visit && document.visibilityState === "visible") {
    seconds[current] = (seconds[current] || 0) + (now - last) / 1000;
  }
  last = now;
}

function beat(beacon) {
  if (!visit) return;
  tick();
  const pages = {};
  for (const [page, s] of Object.entries(seconds)) pages[page] = Math.round(s * 10) / 10;
  post(cfg.beat, { visit, pages, last_page: current }, beacon);
}

const ratios = new Map();
const observer = new IntersectionObserver((entries) => {
  for (const e of entries) ratios.set(Number(e.target.dataset.page), e.intersectionRatio);
  let best = current, bestRatio = -1;
  for (const [page, ratio] of ratios) if (ratio > bestRatio) { best = page; bestRatio = ratio; }
  if (best !== current) { tick(); current = best; }
}, { threshold: [0, 0.25, 0.5, 0.75, 1] });

async function renderPdf() {
  const pdfjs = await import(cfg.pdfjs);
  pdfjs.GlobalWorkerOptions.workerSrc = cfg.worker;
  const pdf = await pdfjs.getDocument({ url: cfg.file, isEvalSupported: false, enableXfa: false }).promise;
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const viewport = page.getViewport({ scale: 1.5 });
    const section = document.createElement("section");
    section.className = "page";
    section.dataset.page = String(n);
    const label = document.createElement("span");
    label.className = "num";
    label.textContent = `${n} / ${pdf.numPages}`;
    const canvas = document.createElement("canvas");
    canvas.width = viewport.width;
    canvas.height = viewport.height;
    section.append(canvas, label);
    doc.append(section);
    observer.observe(section);
    await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
  }
}

function observeTextPages() {
  for (const section of doc.querySelectorAll(".page")) observer.observe(section);
}

async function open(email) {
  await start(email);
  doc.hidden = false;
  if (cfg.pdf) await renderPdf(); else observeTextPages();
  document.body.dataset.ready = "1";
}

setInterval(tick, 1000);
setInterval(() => beat(false), cfg.beat_ms || 5000);
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") beat(true); });
window.addEventListener("pagehide", () => beat(true));

const gate = document.getElementById("gate");
if (gate) {
  gate.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await open(new FormData(gate).get("email"));
      gate.hidden = true;
    } catch (err) {
      document.getElementById("gate-error").textContent = err.message;
    }
  });
} else {
  open("").catch((err) => { doc.textContent = err.message; });
}
