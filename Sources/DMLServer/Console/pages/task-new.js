// Post a task. The reward of every assignment (reward × max assignments) is escrowed from the
// poster when the task is created. The form shows only the fields of the chosen kind.

import { api, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, card, signInPrompt, announce, section } from "../js/dom.js";
import { parseDML, storageName } from "../js/format.js";

const STORAGES = ["ipfs", "crust", "s3", "gcp", "azure"].map((code) => [code, storageName(code)]);

export async function render(main, { go }) {
  main.append(pageHead("Post a task", "Ask for annotations, a model contribution or model engineering, paid per accepted result."));
  if (!currentUser()) { main.append(signInPrompt("to post a task.")); return; }
  const { head } = await api.get("/ready");

  const annotation = h("fieldset", {}, h("legend", {}, "Data to annotate"),
    field({ label: "What is annotated", name: "annotationType", value: "image", options: [["image", "Images"], ["audio", "Audio"], ["text", "Text"], ["video", "Video"]] }),
    field({ label: "Files", name: "files", type: "textarea", rows: 3, hint: "One path or URL per line (1–100)." }),
    field({ label: "Where the files are", name: "filesStorage", value: "ipfs", options: STORAGES }),
    field({ label: "Class labels (optional)", name: "classLabels", hint: "For example: cat, dog" }));
  const artifact = h("fieldset", { hidden: true }, h("legend", {}, "Script or model"),
    field({ label: "Path", name: "artifactPath", hint: "Where the script (contribution) or model (engineering) is: a URL, object key or CID." }),
    field({ label: "Storage", name: "artifactStorage", value: "ipfs", options: STORAGES }));
  const custom = h("div", { hidden: true },
    field({ label: "Validator account", name: "validator", hint: "The dml1… account that judges results." }),
    field({ label: "Validating algorithm (CID)", name: "validatorAlgorithm" }));

  const kind = field({ label: "Kind of task", name: "kind", value: "data_annotation", options: [["data_annotation", "Data annotation"], ["model_contribution", "Model contribution"], ["model_engineering", "Model engineering"]] });
  kind.querySelector("select").addEventListener("change", (e) => {
    annotation.hidden = e.target.value !== "data_annotation";
    artifact.hidden = e.target.value === "data_annotation";
  });
  const strategy = field({ label: "How results are accepted", name: "strategy", value: "manual_accept", options: [["manual_accept", "I accept or reject each result"], ["auto_accept", "Automatically, when sent"], ["custom_accept", "A validator decides"]] });
  strategy.querySelector("select").addEventListener("change", (e) => { custom.hidden = e.target.value !== "custom_accept"; });

  const form = h("form", { "aria-label": "Post a task" },
    kind,
    field({ label: "Question", name: "question", type: "textarea", required: true, rows: 3, hint: "What the workers are asked (at most 2 048 bytes).", attrs: { maxlength: "2048" } }),
    annotation, artifact,
    h("div", { class: "form-row" },
      field({ label: "Reward per accepted result (DML)", name: "rewardPerResult", required: true, value: "1", attrs: { inputmode: "decimal" } }),
      field({ label: "Workers (max assignments)", name: "maxAssignments", type: "number", required: true, value: "10", attrs: { min: "1", max: "10000" } }),
      field({ label: "Stake per assignment (DML)", name: "stake", value: "0", hint: "Held from each worker until judged.", attrs: { inputmode: "decimal" } })),
    field({ label: "Expires at block", name: "expiresAtHeight", type: "number", required: true, value: String(head + 100000), hint: `The current block is ${head}.`, attrs: { min: String(head + 1) } }),
    strategy, custom,
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Post the task")));

  onSubmit(form, async (v) => {
    let kindBody;
    if (v.kind === "data_annotation") {
      const files = v.files.split("\n").map((f) => f.trim()).filter(Boolean);
      if (files.length === 0) throw new Error("List at least one file to annotate.");
      kindBody = { type: v.kind, annotationType: v.annotationType, files, filesStorage: v.filesStorage };
      if (v.classLabels.trim()) kindBody.classLabels = v.classLabels.trim();
    } else {
      if (!v.artifactPath.trim()) throw new Error("Give the path of the script or model.");
      const stored = { path: v.artifactPath.trim(), storage: v.artifactStorage };
      kindBody = { type: v.kind, [v.kind === "model_contribution" ? "script" : "model"]: stored };
    }
    const validation = { strategy: v.strategy };
    if (v.strategy === "custom_accept") Object.assign(validation, { validator: v.validator.trim(), algorithm: v.validatorAlgorithm.trim() });
    const written = await api.post("/v1/tasks", {
      kind: kindBody,
      question: v.question,
      rewardPerResult: parseDML(v.rewardPerResult),
      maxAssignments: Number(v.maxAssignments),
      expiresAtHeight: Number(v.expiresAtHeight),
      validation,
      stakePerAssignment: parseDML(v.stake || "0", { allowZero: true }),
    });
    announce(`Task ${written.id} posted.`);
    go(`#/tasks/${written.id}`);
  });
  main.append(section("The task", card(form)));
}
