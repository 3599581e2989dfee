// An investor's visit to the public atlas in a real browser (Debian's Chromium, driven by
// playwright-core), on a phone and on a laptop, in French and in English: today's pôles
// first, the menu folded on a phone, a sector chosen from its filter (which says how many
// pôles each choice gives), the view exported, a pôle's profile with its head office on its
// own map, the 2007 programme one click away as history; no public page wider than the phone.
// Run by the Rust test `browser::an_investor_finds_todays_poles_on_a_phone`, which passes the
// server's address as JSON in POLES_JOURNEY and reads the widths this prints.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

// axe-core, the accessibility engine, run inside each public page (WCAG 2.1 A and AA rules).
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const cfg = JSON.parse(process.env.POLES_JOURNEY);
const base = cfg.base;
const fail = (msg) => { console.error("journey failed: " + msg); process.exit(1); };

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function expectText(page, text, what) {
  const body = await page.textContent("body");
  if (!body.includes(text)) fail(`${what}: "${text}" not on ${page.url()}\n` + body.slice(0, 1500));
}

/** How much wider than the screen the page is (0 when it fits). */
async function overflow(page) {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}

try {
  for (const lang of ["fr", "en"]) {
    const t = lang === "fr"
      ? { menu: "Menu", clusters: "Pôles", energy: "Énergie", today: "Le programme aujourd'hui",
          history: "Le programme en 2007", head: "Siège", size: "Taille", legend: "labellisé" }
      : { menu: "Menu", clusters: "Clusters", energy: "Energy", today: "Today's programme",
          history: "The programme in 2007", head: "Head office", size: "Size", legend: "labelled" };
    const phone = await (await browser.newContext({
      viewport: { width: 390, height: 844 }, locale: lang === "fr" ? "fr-FR" : "en-GB",
    })).newPage();
    await phone.goto(`${base}/?lang=${lang}`);
    // On a phone the menu is folded behind one button.
    const navLink = phone.locator("header nav a").first();
    if (await navLink.isVisible()) fail(`${lang}: the menu is not folded on a phone`);
    await phone.getByText(t.menu, { exact: true }).click();
    if (!(await navLink.isVisible())) fail(`${lang}: the menu does not open`);
    await Promise.all([phone.waitForURL(/\/clusters/), phone.locator("header nav a").first().click()]);
    await expectText(phone, t.today, "today's programme comes first");
    // Choosing a sector: its option says how many pôles it gives, and the list has as many.
    const option = phone.locator('select[name="sector"] option', { hasText: t.energy });
    const label = (await option.textContent()).trim();
    const expected = Number(label.match(/\((\d+)\)$/)[1]);
    await Promise.all([
      phone.waitForURL(/sector=energy/),
      phone.selectOption('select[name="sector"]', "energy"),
    ]);
    const rows = await phone.locator("tr.cluster-row").count();
    if (rows !== expected) fail(`${lang}: ${label} but ${rows} rows`);
    const csv = await phone.locator("a.export-csv").getAttribute("href");
    if (!csv.includes("sector=energy")) fail(`${lang}: the export is not this view's: ${csv}`);
    await expectText(phone, t.legend, "the map's legend");
    // A pôle's profile, with its own map.
    await Promise.all([phone.waitForURL(/\/clusters\/[a-z]/), phone.locator("tr.cluster-row a").first().click()]);
    await expectText(phone, t.head, "the head office");
    await expectText(phone, t.size, "the size");
    if (await phone.locator("svg#map circle").count() !== 1) fail(`${lang}: the pôle's own map has not one marker`);
    // History, one click from the home page.
    await phone.goto(`${base}/?lang=${lang}`);
    await Promise.all([phone.waitForURL(/programme\/2007/), phone.locator("a.to-history").click()]);
    await expectText(phone, lang === "fr" ? "Historique" : "History", "history is labelled as such");
    // Where the sector is strong: a sector chosen on the specialisation page, its map with
    // the legend, a region per row, the sector's pôles on the map.
    await phone.goto(`${base}/specialisation?lang=${lang}`);
    await phone.selectOption('select[name="sector"]', "energy");
    await Promise.all([phone.waitForURL(/sector=energy/), phone.locator("form.filters button[type=submit]").click()]);
    await expectText(phone, lang === "fr" ? "Quotient de localisation :" : "Location quotient:", "the map's legend");
    await expectText(phone, lang === "fr" ? "Données fictives." : "Fictional data.", "generated data marked");
    const shaded = await phone.locator("svg#choropleth path.region:not(.lq-0)").count();
    if (shaded !== 13) fail(`${lang}: ${shaded} regions shaded, not 13`);
    if (await phone.locator("table#areas tbody tr").count() !== 13) fail(`${lang}: not a row per region`);
    if (await phone.locator("svg#choropleth circle.marker").count() < 1) fail(`${lang}: no pôle of the sector on the map`);
    console.log(`journey ok: atlas on a phone (${lang})`);
  }

  // Every public page fits a 390 px screen (tables scroll in their own box), and passes
  // axe-core's WCAG 2.1 A and AA rules (contrast, names of controls, landmarks, languages…).
  // The site's Content-Security-Policy forbids inline scripts; the check's own script is let in.
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true })).newPage();
  const widths = [];
  const violations = [];
  for (const path of cfg.pages) {
    await phone.goto(`${base}${path}`);
    widths.push(`${path} ${await overflow(phone)}`);
    await phone.addScriptTag({ path: axePath });
    const found = await phone.evaluate(async () => {
      const r = await window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      });
      return r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")})`);
    });
    for (const v of found) violations.push(`${path}: ${v}`);
  }
  console.log("overflow at 390px: " + widths.join(" | "));
  const wide = widths.filter((w) => !w.endsWith(" 0"));
  if (wide.length) fail("pages wider than a phone: " + wide.join(", "));
  console.log("journey ok: every public page fits a phone");
  if (violations.length) fail("accessibility (axe-core, WCAG 2.1 AA):\n" + violations.join("\n"));
  console.log(`journey ok: axe-core finds no WCAG 2.1 AA violation on ${cfg.pages.length} public pages`);
} catch (e) {
  fail(String(e && e.stack || e));
} finally {
  await browser.close();
}
