#!/usr/bin/env node
// Matches utterances against interaction_model/en-US.json with virtual-alexa's strict matcher
// and prints the request Alexa would send for each, as JSON.
//
//   node match_requests.js < utterances.json      (a JSON list of strings)
//
// "ask cramp helper <words>" is matched as <words>, as a one-shot request. Output (stdout): a
// JSON list of {utterance, intent, slots: {name: {value, id}}}; intent is null where no sample
// matches. No skill is called: this measures the model alone.

"use strict";

const fs = require("fs");
const path = require("path");
const { VirtualAlexa } = require("virtual-alexa");
const { Utterance } = require("virtual-core");

const MODEL_FILE = path.resolve(__dirname, "..", "..", "interaction_model", "en-US.json");
const INVOCATION = JSON.parse(fs.readFileSync(MODEL_FILE, "utf8"))
    .interactionModel.languageModel.invocationName;
const ONE_SHOT = new RegExp(
    `^(?:ask|tell) ${INVOCATION} (?:(?:to|for|about|if|whether) )?(.+)$`,
    "i",
);

async function main() {
    const utterances = JSON.parse(fs.readFileSync(0, "utf8"));
    let sent = null;
    const alexa = VirtualAlexa.Builder()
        .interactionModelFile(MODEL_FILE)
        .handler((event, context, callback) => {
            sent = event.request;
            callback(null, { version: "1.0", response: { shouldEndSession: false } });
        })
        .create();
    const results = [];
    for (const utterance of utterances) {
        const oneShot = ONE_SHOT.exec(utterance);
        const words = oneShot ? oneShot[1] : utterance;
        const match = new Utterance(alexa.context().interactionModel(), words);
        if (!match.matched()) {
            results.push({ utterance, intent: null, slots: {} });
            continue;
        }
        sent = null;
        await alexa.request().intent(match.intent()).slots(match.toJSON()).send();
        const slots = {};
        for (const [name, slot] of Object.entries((sent && sent.intent.slots) || {})) {
            if (slot.value === undefined) {
                continue;
            }
            const authority = slot.resolutions && slot.resolutions.resolutionsPerAuthority
                ? slot.resolutions.resolutionsPerAuthority[0]
                : undefined;
            const id = authority && authority.values.length ? authority.values[0].value.id : null;
            slots[name] = { value: slot.value, id };
        }
        results.push({ utterance, intent: sent ? sent.intent.name : null, slots });
    }
    process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
});
