// The label process in a real browser (Debian's Chromium, driven by playwright-core): an
// officer opens a campaign (in French), a pôle's manager writes and submits its candidacy
// (in English, on a phone), the officer seats two committee members and assigns them, both
// score blind, an officer proposes "probation 12 months" and another approves it, and the
// pôle's public page shows it. Run by the Rust test
// `browser::a_label_campaign_runs_from_opening_to_a_published_probation`, which starts the
// server, creates the accounts and passes them as JSON in POLES_JOURNEY.
import { chromium } from "playwright-core";

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
  if (!body.includes(text)) fail(`${what}: "${text}" not on ${page.url()}\n` + body.slice(0, 2000));
}

async function submit(page, target) {
  await Promise.all([page.waitForEvent("framenavigated"), target.click()]);
  await page.waitForLoadState("load");
}

async function signIn(email, lang, options = {}) {
  const ctx = await browser.newContext({ locale: lang === "fr" ? "fr-FR" : "en-GB", ...options });
  const p = await ctx.newPage();
  await p.goto(`${base}/login?lang=${lang}`);
  await p.fill('input[name="email"]', email);
  await p.fill('input[name="password"]', cfg.password);
  await submit(p, p.locator('form.stack button[type="submit"]'));
  return p;
}

// The option of a select whose text holds `text`: people are chosen by name, never by id.
async function choose(page, select, text) {
  const option = page.locator(`${select} option`, { hasText: text }).first();
  const value = await option.getAttribute("value");
  if (value === null) fail(`no option "${text}" in ${select} on ${page.url()}`);
  await page.selectOption(select, value);
}

const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

try {
  // The officer opens a campaign; the State's four criteria come filled in with their source.
  const o = await signIn(cfg.officer1, "fr");
  await o.goto(`${base}/labels?lang=fr`);
  await submit(o, o.locator("#open-campaign"));
  if (!(await o.inputValue('input[name="criterion_source_0"]')).includes("Invest in France Agency"))
    fail("the default criteria carry their source");
  await o.fill('input[name="name_fr"]', "Phase VI (2027-2030)");
  await o.fill('input[name="name_en"]', "Phase VI (2027-2030)");
  await o.fill('input[name="slug"]', "phase-6");
  await o.fill('input[name="opens_on"]', day(-1));
  // First a refused form: the deadline before the opening comes back beside its field.
  await o.fill('input[name="closes_on"]', day(-5));
  await o.fill('input[name="label_from"]', day(40));
  await o.fill('input[name="label_until"]', day(40 + 4 * 365));
  await o.check('input[name="region_84"]');
  await submit(o, o.getByRole("button", { name: "Ouvrir la campagne", exact: true }));
  if (!(await o.locator('input[name="closes_on"][aria-invalid="true"]').count())) fail("the refused date is not marked");
  if ((await o.inputValue('input[name="name_fr"]')) !== "Phase VI (2027-2030)") fail("the input is not kept");
  await o.fill('input[name="closes_on"]', day(20));
  await submit(o, o.getByRole("button", { name: "Ouvrir la campagne", exact: true }));
  if (!o.url().includes("/labels/phase-6")) fail("the campaign page after opening: " + o.url());
  await expectText(o, "Candidatures ouvertes", "the campaign is open");

  // It seats two State members of the committee, chosen by name.
  for (const r of [cfg.reviewer1, cfg.reviewer2]) {
    await choose(o, 'select[name="member"]', r);
    await submit(o, o.getByRole("button", { name: "Faire siéger au comité", exact: true }));
  }
  await expectText(o, cfg.reviewer2, "the committee lists its members");

  // The pôle's manager, on a phone, in English, writes and submits the candidacy.
  const m = await signIn(cfg.manager, "en", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await m.goto(`${base}/labels/phase-6?lang=en`);
  await submit(m, m.locator("#my-candidacies a").first());
  await m.fill('textarea[name="strategy"]', "Feuille de route : nanoélectronique et logiciel embarqué.");
  await m.fill('textarea[name="governance"]', "Association loi 1901, conseil d'administration de 24 membres.");
  await m.fill('textarea[name="targets"]', "30 projets labellisés par an.");
  await m.fill('input[name="staff"]', "12.5");
  await submit(m, m.getByRole("button", { name: "Save", exact: true }));
  // A PDF attached by the page's script, sent as it is; the page shows it.
  await m.setInputFiles('#upload-form input[type="file"]', {
    name: "feuille-de-route.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% roadmap\n%%EOF\n"),
  });
  await submit(m, m.getByRole("button", { name: "Attach", exact: true }));
  await expectText(m, "feuille-de-route.pdf", "the attached PDF is listed");
  await submit(m, m.getByRole("button", { name: "Submit the candidacy", exact: true }));
  await expectText(m, "Submitted", "the candidacy is submitted");
  const width = await m.evaluate(() => document.documentElement.scrollWidth);
  if (width > 390) fail(`the candidacy page is ${width}px wide on a 390px phone`);
  console.log("journey ok: candidacy submitted");

  // The officer assigns both members.
  await o.goto(`${base}/labels/phase-6/${cfg.pole}?lang=fr`);
  for (const r of [cfg.reviewer1, cfg.reviewer2]) {
    await choose(o, 'select[name="reviewer"]', r);
    await submit(o, o.getByRole("button", { name: "Désigner", exact: true }));
  }

  // Each scores blind: every criterion, 0 to 10.
  for (const [r, marks] of [[cfg.reviewer1, ["8", "7", "6", "7"]], [cfg.reviewer2, ["6", "7", "8", "5"]]]) {
    const p = await signIn(r, "fr");
    await p.goto(`${base}/labels/phase-6/${cfg.pole}?lang=fr`);
    for (let k = 0; k < marks.length; k++) await p.selectOption(`select[name="score_${k + 1}"]`, marks[k]);
    await submit(p, p.getByRole("button", { name: "Envoyer mes notes", exact: true }));
    await expectText(p, "Votre évaluation", "the review is recorded");
  }
  console.log("journey ok: two committee members scored");

  // An officer proposes "probation, 12 months" with its conditions; another approves it.
  await o.goto(`${base}/labels/phase-6/${cfg.pole}?lang=fr`);
  await expectText(o, "6.75", "the weighted synthesis");
  await o.locator("details.edit summary").click();
  await o.selectOption('select[name="outcome"]', "probation");
  await o.fill('input[name="months"]', "12");
  await o.fill('textarea[name="conditions"]', "Renforcer l'accompagnement des PME.");
  await o.fill('input[name="legal_act"]', "Décision du ministre chargé de l'industrie");
  await o.fill('input[name="act_date"]', day(0));
  await submit(o, o.getByRole("button", { name: "Proposer (un autre agent approuve)", exact: true }));
  await expectText(o, "En attente d'approbation", "the proposal waits for a second officer");
  if (await o.locator("form[action^='/label-decisions/']").count()) fail("the proposer is offered the approval");
  const o2 = await signIn(cfg.officer2, "fr");
  await o2.goto(`${base}/labels/phase-6/${cfg.pole}?lang=fr`);
  await submit(o2, o2.getByRole("button", { name: "Approuver et publier", exact: true }));
  await expectText(o2, "Publiée", "the decision is published");

  // The public page of the pôle shows it, with the act.
  const pub = await (await browser.newContext({ locale: "fr-FR" })).newPage();
  await pub.goto(`${base}/clusters/${cfg.pole}?lang=fr`);
  await expectText(pub, "Décision du ministre chargé de l'industrie", "the act on the label history");
  await expectText(pub, "en probation", "the probation on the pôle's page");
  console.log("journey ok: probation published");
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await browser.close();
}
