#!/usr/bin/env node
// Matches utterances to interaction_model/en-US.json with virtual-alexa's own matcher, strict.
//
//   node match.js < utterances.json
//
// Input (stdin): a JSON list of utterances (the words after "ask cramp helper", or said in a
// session). Output (stdout): a JSON list, one entry per utterance: {utterance, intent, slots},
// where intent is null when no sample matches and slots maps slot name -> the words heard.
// Resolving the words to slot value ids is left to the caller, which has the same model.

"use strict";

const fs = require("fs");
const path = require("path");
const { Utterance } = require("virtual-core");
const { InteractionModel } = require("virtual-alexa/lib/src/model/InteractionModel");

const MODEL_FILE = path.resolve(__dirname, "..", "..", "interaction_model", "en-US.json");

function main() {
    const model = InteractionModel.fromFile(MODEL_FILE);
    const utterances = JSON.parse(fs.readFileSync(0, "utf8"));
    const matched = utterances.map((utterance) => {
        const match = new Utterance(model, utterance);
        return match.matched()
            ? { utterance, intent: match.intent(), slots: match.toJSON() }
            : { utterance, intent: null, slots: {} };
    });
    process.stdout.write(JSON.stringify(matched) + "\n");
}

main();
