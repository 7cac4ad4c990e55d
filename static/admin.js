// The venue form's seat-layout editor: "Add a section" adds a line, and a preview of the map
// (stage, seated rows, standing areas) is redrawn as the organiser types.
const form = document.getElementById("venue-form");
if (form) editor();

function editor() {
  const sections = document.getElementById("sections");
  const add = document.getElementById("add-section");
  const preview = document.getElementById("venue-preview");
  const total = document.getElementById("preview-total");
  const SVG = "http://www.w3.org/2000/svg";
  const UNIT = 10;

  add.addEventListener("click", () => {
    const drafts = sections.querySelectorAll(".section-draft");
    const line = drafts[drafts.length - 1].cloneNode(true);
    for (const input of line.querySelectorAll("input")) input.value = "";
    line.querySelector("select").value = "seated";
    line.querySelector("legend").textContent = "Section " + (drafts.length + 1);
    add.before(line);
    line.querySelector("input").focus();
    draw();
  });

  const num = (el) => Math.max(0, Math.min(500, parseInt(el.value, 10) || 0));

  function draw() {
    const drafts = [...sections.querySelectorAll(".section-draft")].map((d) => ({
      name: d.querySelector("[name=section_name]").value.trim(),
      standing: d.querySelector("[name=section_kind]").value === "standing",
      rows: num(d.querySelector("[name=section_rows]")),
      seats: num(d.querySelector("[name=section_seats]")),
      capacity: parseInt(d.querySelector("[name=section_capacity]").value, 10) || 0,
    })).filter((d) => d.name);
    const width = Math.max(20, ...drafts.map((d) => (d.standing ? 0 : d.seats)));
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("role", "img");
    let y = 3;
    let places = 0;
    const parts = [];
    const text = (label, at) => {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", "0");
      t.setAttribute("y", String(at * UNIT));
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("class", "section-label");
      t.textContent = label;
      parts.push(t);
    };
    const stage = document.createElementNS(SVG, "rect");
    stage.setAttribute("x", String(-width * 0.3 * UNIT));
    stage.setAttribute("y", "0");
    stage.setAttribute("width", String(width * 0.6 * UNIT));
    stage.setAttribute("height", String(1.5 * UNIT));
    stage.setAttribute("fill", "#2b2b33");
    parts.push(stage);
    for (const d of drafts) {
      text(d.name, y);
      y += 0.7;
      if (d.standing) {
        const r = document.createElementNS(SVG, "rect");
        r.setAttribute("x", String(-width * 0.4 * UNIT));
        r.setAttribute("y", String(y * UNIT));
        r.setAttribute("width", String(width * 0.8 * UNIT));
        r.setAttribute("height", String(3 * UNIT));
        r.setAttribute("fill", "#0f7b6c");
        parts.push(r);
        places += d.capacity;
        y += 4.5;
        continue;
      }
      for (let row = 0; row < Math.min(d.rows, 200); row++) {
        for (let n = 1; n <= d.seats; n++) {
          const c = document.createElementNS(SVG, "circle");
          c.setAttribute("cx", String((n - (d.seats + 1) / 2) * UNIT));
          c.setAttribute("cy", String((y + row) * UNIT + UNIT / 2));
          c.setAttribute("r", String(UNIT * 0.38));
          c.setAttribute("fill", "#3a2fc1");
          parts.push(c);
        }
      }
      places += d.rows * d.seats;
      y += d.rows + 1.5;
    }
    svg.setAttribute("viewBox", [-(width / 2 + 1) * UNIT, 0, (width + 2) * UNIT, (y + 1) * UNIT].join(" "));
    svg.setAttribute("aria-label", "Preview of the seat map: " + drafts.length + " sections, " + places + " places");
    svg.append(...parts);
    preview.replaceChildren(svg);
    total.textContent = drafts.length + (drafts.length === 1 ? " section, " : " sections, ") + places + " places";
  }

  form.addEventListener("input", draw);
  form.addEventListener("change", draw);
  draw();
}
