"use strict";
(function () {
  const report = JSON.parse(document.getElementById("report-data").textContent);
  const images = report.images;
  const byName = new Map(images.map((image) => [image.name, image]));
  const SVG = "http://www.w3.org/2000/svg";
  const STEPS = ["check", "pull", "build", "verify", "publish"];
  const OUTCOME_WORDS = {
    published: "published",
    verified: "verified",
    built: "built",
    failed: "failed",
    skipped: "skipped",
    interrupted: "interrupted",
    up_to_date: "up to date",
    untouched: "untouched",
  };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    return node;
  }

  function color(name) {
    return getComputedStyle(document.documentElement).getPropertyValue("--" + name).trim() || "#999";
  }

  function blocked(image) {
    return image.plan_reason === "invalid_tag" || image.plan_reason === "unchecked";
  }

  function outcomeOf(image) {
    if (image.outcome) return image.outcome;
    if (blocked(image)) return "failed";
    return image.planned.length ? "planned" : "untouched";
  }

  function outcomeWord(image) {
    if (!image.outcome && blocked(image)) return "fails";
    if (!image.outcome) return image.planned.length ? image.planned.join(", ") : "nothing";
    return OUTCOME_WORDS[image.outcome] || image.outcome;
  }

  function seconds(ms) {
    if (ms < 1000) return ms + " ms";
    const s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
    const m = Math.floor(s / 60);
    return m + " min " + Math.round(s - m * 60) + " s";
  }

  function badge(image) {
    return el("span", {
      class: "badge",
      style: "background:" + color(outcomeOf(image)),
      text: outcomeWord(image),
    });
  }

  const tooltip = document.getElementById("tooltip");
  function showTip(event, lines) {
    tooltip.textContent = "";
    lines.forEach((line, i) => {
      tooltip.appendChild(el(i === 0 ? "strong" : "div", { text: line }));
    });
    tooltip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    tooltip.style.left = x + "px";
    tooltip.style.top = event.clientY + 14 + "px";
  }
  function hideTip() {
    tooltip.hidden = true;
  }
  function tip(node, lines) {
    node.addEventListener("mousemove", (event) => showTip(event, lines));
    node.addEventListener("mouseleave", hideTip);
  }

  function header() {
    const run = report.run;
    const top = document.getElementById("top");
    const dry = run.options.dry_run;
    const ok = run.exit_code === 0;
    const status = el("span", {
      class: "status " + (dry ? "dry" : ok ? "ok" : "fail"),
      text: dry ? "dry run" : ok ? "success" : "exit " + run.exit_code,
    });
    const title = el("h1", { text: "docker-pkg build report" }, [status]);
    const started = new Date(run.started);
    const sub = el("div", { class: "sub" });
    sub.append(
      "Tree ",
      el("code", { text: run.directory }),
      " · started " + started.toLocaleString() + " · " + seconds(run.duration_ms) +
        " · engine " + run.options.engine + " · " + run.options.jobs + " jobs" +
        (run.options.registry ? " · registry " + run.options.registry : "")
    );
    const cards = el("div", { class: "cards" });
    const totals = report.totals;
    const entries = dry
      ? [
          ["images", totals.images, ""],
          ["to build", images.filter((i) => i.planned.includes("build")).length, ""],
          ["to verify", images.filter((i) => i.planned.includes("verify")).length, ""],
          ["to publish", images.filter((i) => i.planned.includes("publish")).length, ""],
        ]
      : [
          ["images", totals.images, ""],
          ["built", totals.built, ""],
          ["verified", totals.verified, ""],
          ["published", totals.published, totals.published ? "good" : ""],
          ["failed", totals.failed, totals.failed ? "bad" : ""],
          ["skipped", totals.skipped, totals.skipped ? "bad" : ""],
          ["up to date", totals.up_to_date, ""],
        ];
    for (const [label, n, kind] of entries) {
      cards.appendChild(
        el("div", { class: "card " + kind }, [
          el("div", { class: "n", text: String(n) }),
          el("div", { class: "l", text: label }),
        ])
      );
    }
    top.append(title, sub, cards);
  }

  function stepDuration(image, step) {
    return image.steps.filter((s) => s.step === step).reduce((sum, s) => sum + s.duration_ms, 0);
  }

  function detailsRow(image, columns) {
    const cell = el("td", { colspan: String(columns) });
    const facts = [];
    facts.push("Directory: " + image.directory);
    if (image.dependencies.length || image.base_images.length) {
      facts.push("Built on: " + image.base_images.concat(image.dependencies).join(", "));
    }
    if (image.undeclared_dependencies.length) {
      facts.push("Named only through image_tag: " + image.undeclared_dependencies.join(", "));
    }
    facts.push("At scan time: " + (image.initial_state || "unknown") + " (" + image.plan_reason_text + ")");
    if (image.digest) facts.push("Digest: " + image.digest);
    for (const fact of facts) cell.appendChild(el("div", { text: fact }));
    if (image.failure) {
      cell.appendChild(el("div", { text: "Error: " + image.failure.detail }));
      if (image.failure.output) cell.appendChild(el("pre", { text: image.failure.output }));
    }
    const tests = (image.platforms || []).length
      ? image.platforms.filter((p) => p.test).map((p) => [" (" + p.platform + ")", p.test])
      : [["", image.test]];
    for (const [which, test] of tests) {
      if (test && test.output) {
        cell.appendChild(el("div", { text: "Test output" + which + ":" }));
        cell.appendChild(el("pre", { text: test.output }));
      } else if (test && test.missing) {
        cell.appendChild(el("div", { text: "No test" + which + ": " + test.missing + " does not exist" }));
      }
    }
    const row = el("tr", { class: "details" }, [cell]);
    row.hidden = true;
    return row;
  }

  function table() {
    const tableNode = document.getElementById("image-table");
    const heads = ["Image", "Outcome", "Reason", "Pull", "Build", "Verify", "Publish", "Total", "Digest"];
    tableNode.appendChild(el("thead", {}, [el("tr", {}, heads.map((h) => el("th", { text: h })))]));
    const body = el("tbody");
    const rows = [];
    for (const image of images) {
      const total = image.steps.reduce((sum, s) => sum + s.duration_ms, 0);
      const reason = image.reason || (image.outcome ? "" : image.plan_reason_text);
      const cells = [
        el("td", {}, [el("div", { class: "name", text: image.name }), el("div", { class: "label", text: image.label })]),
        el("td", {}, [badge(image)]),
        el("td", { class: "reason", text: reason }),
      ];
      for (const step of ["pull", "build", "verify", "publish"]) {
        const ms = stepDuration(image, step);
        cells.push(el("td", { class: "num", text: image.steps.some((s) => s.step === step) ? seconds(ms) : "" }));
      }
      cells.push(el("td", { class: "num", text: total ? seconds(total) : "" }));
      cells.push(el("td", { class: "digest", text: image.digest ? image.digest.slice(0, 19) + "…" : "" }));
      const row = el("tr", { class: "image-row", "data-outcome": outcomeOf(image) }, cells);
      const platformRows = (image.platforms || []).map(platformRow);
      const details = detailsRow(image, heads.length);
      row.addEventListener("click", () => {
        details.hidden = !details.hidden;
      });
      body.append(row, ...platformRows, details);
      rows.push([row, details, platformRows]);
    }
    tableNode.appendChild(body);
    filters(rows);
  }

  // One platform of an image built as a manifest list: its build and test, under the image.
  function platformRow(platform) {
    const failed = platform.steps.some((s) => !s.succeeded);
    const word = failed ? "failed" : platform.steps.map((s) => (s.step === "build" ? "built" : "verified")).pop() || "";
    const cells = [
      el("td", {}, [el("div", { class: "label", text: "\u21b3 " + platform.platform })]),
      el("td", {}, [el("span", { class: "badge", style: "background:" + color(failed ? "failed" : word), text: word })]),
      el("td", { class: "reason", text: "" }),
    ];
    for (const step of ["pull", "build", "verify", "publish"]) {
      const runs = platform.steps.filter((s) => s.step === step);
      const ms = runs.reduce((sum, s) => sum + s.duration_ms, 0);
      cells.push(el("td", { class: "num", text: runs.length ? seconds(ms) : "" }));
    }
    const total = platform.steps.reduce((sum, s) => sum + s.duration_ms, 0);
    cells.push(el("td", { class: "num", text: total ? seconds(total) : "" }), el("td"));
    return el("tr", { class: "platform-row", "data-platform": platform.platform }, cells);
  }

  function filters(rows) {
    const box = document.getElementById("filters");
    const outcomes = Array.from(new Set(images.map(outcomeOf)));
    const choices = ["all"].concat(outcomes);
    const buttons = choices.map((choice) => {
      const count = choice === "all" ? images.length : images.filter((i) => outcomeOf(i) === choice).length;
      const word = choice === "all" ? "all" : OUTCOME_WORDS[choice] || choice;
      const button = el("button", { type: "button", text: word + " (" + count + ")" });
      button.addEventListener("click", () => {
        buttons.forEach((b) => b.classList.remove("on"));
        button.classList.add("on");
        for (const [row, details, platformRows] of rows) {
          const shown = choice === "all" || row.dataset.outcome === choice;
          row.hidden = !shown;
          for (const platformRow of platformRows) platformRow.hidden = !shown;
          if (!shown) details.hidden = true;
        }
      });
      return button;
    });
    buttons[0].classList.add("on");
    buttons.forEach((b) => box.appendChild(b));
  }

  function legend(entries) {
    const box = el("div", { class: "legend" });
    for (const [label, fill, border] of entries) {
      const swatch = el("i", { style: "background:" + fill + (border ? ";border:1px " + border : "") });
      box.appendChild(el("span", {}, [swatch, document.createTextNode(label)]));
    }
    return box;
  }

  /// The images whose work decided when the run ended: from the image that finished last,
  /// back through the dependency that was ready last before it started (an image is ready
  /// for those built on it once built and tested: its push goes on beside them).
  function criticalPath(worked) {
    const endOf = (steps) => Math.max(...steps.map((s) => s.offset_ms + s.duration_ms));
    const end = (image) => endOf(image.steps);
    const ready = (image) => {
      const before = image.steps.filter((s) => s.step !== "publish");
      return before.length ? endOf(before) : end(image);
    };
    const start = (image) => Math.min(...image.steps.map((s) => s.offset_ms));
    const path = new Set();
    let current = worked.reduce((a, b) => (end(b) > end(a) ? b : a), worked[0]);
    while (current && !path.has(current.name)) {
      path.add(current.name);
      const begin = start(current);
      const before = current.dependencies
        .map((name) => byName.get(name))
        .filter((d) => d && d.steps.length && ready(d) <= begin + 50);
      current = before.length ? before.reduce((a, b) => (ready(b) > ready(a) ? b : a)) : null;
    }
    return path;
  }

  function timeline() {
    const view = document.getElementById("timeline-view");
    const worked = images.filter((image) => image.steps.length > 0);
    if (!worked.length) {
      const what = report.run.options.dry_run ? "A dry run runs no step." : "No image was worked on.";
      view.appendChild(el("p", { class: "empty", text: what }));
      return;
    }
    worked.sort((a, b) => Math.min(...a.steps.map((s) => s.offset_ms)) - Math.min(...b.steps.map((s) => s.offset_ms)));
    const critical = criticalPath(worked);
    const total = Math.max(1, report.run.duration_ms, ...worked.map((i) => Math.max(...i.steps.map((s) => s.offset_ms + s.duration_ms))));
    const labelWidth = Math.min(260, 16 + 7.2 * Math.max(...worked.map((i) => i.name.length)));
    const width = Math.max(720, view.clientWidth || 1100);
    const plot = width - labelWidth - 24;
    const rowHeight = 24;
    const top = 28;
    const height = top + worked.length * rowHeight + 10;
    const x = (ms) => labelWidth + (ms / total) * plot;
    const chart = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, class: "timeline-chart", role: "img" });
    chart.appendChild(svg("title", { text: "Timeline of the run: one bar per step of each image" }));
    const ticks = niceTicks(total);
    for (const t of ticks) {
      chart.appendChild(svg("line", { x1: x(t), x2: x(t), y1: top - 6, y2: height - 6, stroke: "#e2e5ea" }));
      chart.appendChild(svg("text", { x: x(t), y: top - 12, "text-anchor": "middle", "font-size": 11, fill: "#68717d", text: seconds(t) }));
    }
    worked.forEach((image, row) => {
      const y = top + row * rowHeight;
      if (row % 2 === 1) {
        chart.appendChild(svg("rect", { x: 0, y, width, height: rowHeight, fill: "#f8f9fb" }));
      }
      const onPath = critical.has(image.name);
      const name = svg("text", {
        x: labelWidth - 10, y: y + 16, "text-anchor": "end", "font-size": 12,
        "font-weight": onPath ? 700 : 400, fill: image.outcome === "failed" ? color("failed") : "#1d232b",
        text: image.name,
      });
      chart.appendChild(name);
      for (const step of image.steps) {
        const left = x(step.offset_ms);
        const w = Math.max(2, x(step.offset_ms + step.duration_ms) - left);
        const fill = step.succeeded ? color("step-" + step.step) : color("failed");
        const bar = svg("rect", {
          class: "bar", x: left, y: y + 4, width: w, height: rowHeight - 8, rx: 3, fill,
          stroke: onPath ? "#182230" : "none", "stroke-width": onPath ? 1.5 : 0,
          "data-image": image.name, "data-step": step.step,
        });
        tip(bar, [
          image.name + ": " + step.step + (step.succeeded ? "" : " (failed)"),
          "started at " + seconds(step.offset_ms) + ", took " + seconds(step.duration_ms),
          onPath ? "on the critical path" : "",
        ].filter(Boolean));
        chart.appendChild(bar);
      }
    });
    view.appendChild(legend(
      STEPS.filter((s) => worked.some((i) => i.steps.some((t) => t.step === s)))
        .map((s) => [s, color("step-" + s)])
        .concat([["failed step", color("failed")], ["critical path: outlined, name in bold", "#182230"]])
    ));
    view.appendChild(chart);
  }

  function niceTicks(total) {
    const steps = [100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000];
    const step = steps.find((s) => total / s <= 10) || 3600000;
    const ticks = [];
    for (let t = 0; t <= total; t += step) ticks.push(t);
    return ticks;
  }

  /// Layers by longest path from the images built on nothing, ordered within a layer by the
  /// mean position of what they are built on, to keep edges short.
  function layout(nodes) {
    const layer = new Map();
    const visit = (node, seen) => {
      if (layer.has(node.id)) return layer.get(node.id);
      if (seen.has(node.id)) return 0;
      seen.add(node.id);
      const below = node.parents.map((p) => visit(nodesById.get(p), seen) + 1);
      const value = below.length ? Math.max(...below) : 0;
      layer.set(node.id, value);
      return value;
    };
    const nodesById = new Map(nodes.map((n) => [n.id, n]));
    nodes.forEach((n) => visit(n, new Set()));
    const layers = [];
    for (const node of nodes) {
      const l = layer.get(node.id);
      (layers[l] = layers[l] || []).push(node);
    }
    const position = new Map();
    layers.forEach((nodesOf) => nodesOf.forEach((n, i) => position.set(n.id, i)));
    for (let sweep = 0; sweep < 4; sweep++) {
      for (const nodesOf of layers.slice(1)) {
        const mean = (n) => (n.parents.length ? n.parents.reduce((s, p) => s + position.get(p), 0) / n.parents.length : position.get(n.id));
        nodesOf.sort((a, b) => mean(a) - mean(b));
        nodesOf.forEach((n, i) => position.set(n.id, i));
      }
    }
    return layers;
  }

  function graph() {
    const view = document.getElementById("graph-view");
    const used = new Set(images.flatMap((i) => i.base_images));
    const nodes = report.base_images
      .filter((b) => used.has(b.name))
      .map((b) => ({ id: "base:" + b.name, text: b.name, sub: b.label, parents: [], base: true }))
      .concat(images.map((i) => ({
        id: i.name, text: i.name, sub: i.label, image: i,
        parents: i.base_images.map((b) => "base:" + b).filter((b) => used.has(b.slice(5))).concat(i.dependencies),
      })));
    if (!nodes.length) {
      view.appendChild(el("p", { class: "empty", text: "The tree has no image." }));
      return;
    }
    const layers = layout(nodes);
    const nodeWidth = Math.min(220, Math.max(110, 24 + 7.4 * Math.max(...nodes.map((n) => n.text.length))));
    const nodeHeight = 34;
    const gapX = 70;
    const gapY = 14;
    const tallest = Math.max(...layers.map((l) => l.length));
    const width = 24 + layers.length * (nodeWidth + gapX);
    const height = 24 + tallest * (nodeHeight + gapY);
    const place = new Map();
    layers.forEach((nodesOf, l) => {
      const offset = ((tallest - nodesOf.length) * (nodeHeight + gapY)) / 2;
      nodesOf.forEach((n, i) => place.set(n.id, { x: 12 + l * (nodeWidth + gapX), y: 12 + offset + i * (nodeHeight + gapY) }));
    });
    const chart = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, class: "graph-chart", role: "img" });
    chart.appendChild(svg("title", { text: "Dependency graph: each image after the images it is built on" }));
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#9aa3ad" }));
    defs.appendChild(marker);
    chart.appendChild(defs);
    for (const node of nodes) {
      const to = place.get(node.id);
      for (const parent of node.parents) {
        const from = place.get(parent);
        if (!from) continue;
        const x1 = from.x + nodeWidth, y1 = from.y + nodeHeight / 2, x2 = to.x - 2, y2 = to.y + nodeHeight / 2;
        const bend = (x2 - x1) / 2;
        const undeclared = node.image && node.image.undeclared_dependencies.includes(parent);
        chart.appendChild(svg("path", {
          class: "edge", d: "M " + x1 + " " + y1 + " C " + (x1 + bend) + " " + y1 + ", " + (x2 - bend) + " " + y2 + ", " + x2 + " " + y2,
          fill: "none", stroke: undeclared ? color("skipped") : "#b6bdc6", "stroke-width": 1.4,
          "stroke-dasharray": undeclared ? "5 4" : "none", "marker-end": "url(#arrow)",
        }));
      }
    }
    for (const node of nodes) {
      const at = place.get(node.id);
      const group = svg("g", { class: "node", transform: "translate(" + at.x + "," + at.y + ")", "data-name": node.text });
      const outcome = node.base ? "base" : outcomeOf(node.image);
      const fill = node.base ? "#ffffff" : color(outcome);
      group.appendChild(svg("rect", {
        width: nodeWidth, height: nodeHeight, rx: 7, fill,
        stroke: node.base ? "#9aa3ad" : "rgba(0,0,0,.18)", "stroke-dasharray": node.base ? "4 3" : "none",
      }));
      const maxChars = Math.floor((nodeWidth - 16) / 7);
      const text = node.text.length > maxChars ? node.text.slice(0, maxChars - 1) + "…" : node.text;
      group.appendChild(svg("text", {
        x: nodeWidth / 2, y: nodeHeight / 2 + 4, "text-anchor": "middle", "font-size": 12, "font-weight": 600,
        fill: node.base ? "#1d232b" : "#ffffff", text,
      }));
      const lines = [node.text, node.sub];
      if (node.base) lines.push("base image");
      else {
        lines.push(outcomeWord(node.image));
        if (node.image.reason) lines.push(node.image.reason);
      }
      tip(group, lines);
      chart.appendChild(group);
    }
    const present = Array.from(new Set(images.map(outcomeOf)));
    view.appendChild(legend(
      present.map((o) => [OUTCOME_WORDS[o] || o, color(o)])
        .concat([["base image", "#ffffff", "dashed #9aa3ad"], ["dependency named only through image_tag (dashed)", color("skipped")]])
    ));
    view.appendChild(chart);
  }

  header();
  table();
  timeline();
  graph();
})();
