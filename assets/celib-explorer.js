/* Live explorers on the website (issue 20); the payload comes from celib/explore.py through
 * _ext/explorers.py, the drawing from Vega-Lite (vega-embed, bundled from the pinned
 * vl-convert-python package).
 *
 * This script evaluates no formula: every number was computed in the notebook by celib. It
 *   - turns the payload's column tables into rows for Vega-Lite,
 *   - draws one keyboard- and mouse-operable range input per control, over the positions of the
 *     control's precomputed grid (label, shown value and aria-valuetext come from the payload),
 *   - on input, sets the chosen grid value as the chart's parameter (the chart's filters then keep
 *     that frame's rows) and shows the frame's precomputed readout sentence, which is also the
 *     chart's text alternative.
 * When the chart is drawn, the figure gets the class celib-live (book.css then hides the still;
 * print shows the still again). Each repaint's time from input to drawn frame is kept in
 * data-repaint-ms (tests/browser measure it).
 */
(function () {
  "use strict";
  const NARROW = 640; // px: below this the panels are stacked

  function rows(table) {
    const names = Object.keys(table.columns);
    const n = names.length ? table.columns[names[0]].length : 0;
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const row = {};
      for (const c of names) row[c] = table.columns[c][i];
      out[i] = row;
    }
    return out;
  }

  function readoutText(payload, position) {
    return payload.readout.map(part => {
      let flat = 0;
      for (const name of part.over) {
        const control = payload.controls.find(c => c.name === name);
        flat = flat * control.values.length + position[name];
      }
      const template = part.templates[part.which ? part.which[flat] : 0].split("{}");
      return template[0] + part.values[flat].map((v, i) => v + template[i + 1]).join("");
    }).join("; ");
  }

  function buildSpec(payload, datasets, width) {
    const narrow = width < NARROW;
    const n = payload.panels.length;
    const each = narrow ? width - 80 : Math.floor((width - 90 * n) / n);
    const shares = payload.shares || payload.panels.map(() => 1);
    const mean = shares.reduce((a, b) => a + b, 0) / n;
    const panels = payload.panels.map((p, i) => {
      const share = narrow ? 1 : shares[i] / mean;
      const copy = Object.assign({}, p, {width: Math.max(120, Math.floor(each * share))});
      if (narrow && copy.height) copy.height = Math.min(copy.height, 220);
      return copy;
    });
    const spec = Object.assign({}, payload.spec, {datasets: datasets});
    spec[narrow ? "vconcat" : "hconcat"] = panels;
    spec.$schema = "https://vega.github.io/schema/vega-lite/v6.json";
    return spec;
  }

  async function init(root, serial) {
    const payload = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
    const datasets = {};
    for (const [name, table] of Object.entries(payload.tables)) datasets[name] = rows(table);
    const position = {};
    for (const c of payload.controls) position[c.name] = c.index;

    const controls = document.createElement("div");
    controls.className = "celib-explorer-controls";
    const readout = document.createElement("p");
    readout.className = "celib-explorer-readout";
    readout.setAttribute("aria-live", "polite");
    const chart = document.createElement("div");
    chart.className = "celib-explorer-chart";
    root.append(controls, readout, chart);

    let view = null;
    let layout = null;
    const state = () => readoutText(payload, position);
    const label = () => {
      const svg = chart.querySelector("svg");
      if (svg) {
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", payload.description + " " + state());
        svg.removeAttribute("aria-roledescription");
      }
    };

    async function embed() {
      const width = root.clientWidth || 600;
      const narrow = width < NARROW;
      if (view && layout === narrow) return;
      layout = narrow;
      if (view) view.finalize();
      const spec = buildSpec(payload, datasets, width);
      for (const p of spec.params) {
        if (p.name in position) {
          const c = payload.controls.find(x => x.name === p.name);
          p.value = c.values[position[p.name]];
        }
      }
      const result = await window.vegaEmbed(chart, spec, {renderer: "svg", actions: false, tooltip: false});
      view = result.view;
      label();
    }

    payload.controls.forEach((c, i) => {
      const id = `celib-explorer-${serial}-${i}`;
      const row = document.createElement("div");
      row.className = "celib-explorer-control";
      const lab = document.createElement("label");
      lab.htmlFor = id;
      lab.textContent = c.label;
      const input = document.createElement("input");
      input.type = "range";
      input.id = id;
      input.min = "0";
      input.max = String(c.values.length - 1);
      input.step = "1";
      input.value = String(c.index);
      input.dataset.control = c.name;
      input.setAttribute("aria-valuetext", c.labels[c.index]);
      const out = document.createElement("output");
      out.htmlFor = id;
      out.textContent = c.labels[c.index];
      input.addEventListener("input", async () => {
        const started = performance.now();
        const k = Number(input.value);
        position[c.name] = k;
        out.textContent = c.labels[k];
        input.setAttribute("aria-valuetext", c.labels[k]);
        readout.textContent = state();
        if (!view) return;
        view.signal(c.name, c.values[k]);
        await view.runAsync();
        label();
        // the frame is painted after this animation frame's callbacks: measure in the task after
        requestAnimationFrame(() => setTimeout(() => {
          root.dataset.repaintMs = (performance.now() - started).toFixed(1);
          root.dataset.frame = payload.controls.map(x => position[x.name]).join(",");
        }, 0));
      });
      row.append(lab, input, out);
      controls.append(row);
    });
    readout.textContent = state();

    await embed();
    root.closest("figure")?.classList.add("celib-live");
    root.dataset.frame = payload.controls.map(x => position[x.name]).join(",");
    root.dataset.ready = "true";
    if (window.ResizeObserver) {
      new ResizeObserver(() => { embed(); }).observe(root);
    }
  }

  function start() {
    if (typeof window.vegaEmbed !== "function") return; // the still stays
    document.querySelectorAll(".celib-explorer").forEach((root, i) => {
      init(root, i).catch(err => {
        root.dataset.error = String(err);
        console.error("celib explorer:", err);
      });
    });
  }

  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
