#!/usr/bin/env node
// Holds one conversation with Cramp Helper through virtual-alexa and prints what happened as JSON.
//
//   node conversation.js [--locale LOCALE] URL [UTTERANCE ...]
//
// virtual-alexa matches each utterance to a sample of interaction_model/<LOCALE>.json (en-US
// unless --locale names another), sends requests in that locale, fills the
// slots (with entity resolution for custom slot types) and POSTs the request envelope to URL,
// the way Alexa calls a skill hosted as a web service. Without utterances, a fixed conversation
// is held. "open cramp helper" (or launch, start, talk to, ask, tell) is a LaunchRequest;
// "ask cramp helper <words>" a one-shot intent request; anything else an intent request in the
// current session. (virtual-alexa's own utter() is not used for this: it takes any utterance
// merely containing "ask", "open", "tell"..., such as "tell me about the quads", for a launch.)
//
// Output (stdout): {"url": ..., "locale": ..., "turns": [{utterance,
// request: {type, locale, intent, slots},
// response: {ssml, reprompt, shouldEndSession, sessionOpen}}, ...]}.
// Anything going wrong (no match, HTTP error) is reported on stderr with exit status 1.

"use strict";

const fs = require("fs");
const path = require("path");
const { VirtualAlexa } = require("virtual-alexa");
const { Utterance } = require("virtual-core");

const MODEL_DIR = path.resolve(__dirname, "..", "..", "interaction_model");
const APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-cramphelper0";
const DEFAULT_CONVERSATION = [
    "open cramp helper",
    "how do i stretch my hamstring",
    "next",
    "can lipitor cause cramps",
    "stop",
];

function modelFile(locale) {
    if (!/^[a-z]{2}-[A-Z]{2}$/.test(locale)) {
        throw new Error(`not a locale: ${locale}`);
    }
    return path.join(MODEL_DIR, `${locale}.json`);
}

function grammar(file) {
    const invocation = JSON.parse(fs.readFileSync(file, "utf8"))
        .interactionModel.languageModel.invocationName;
    return {
        launch: new RegExp(`^(?:open|launch|start|talk to|ask|tell) ${invocation}$`, "i"),
        oneShot: new RegExp(
            `^(?:ask|tell) ${invocation} (?:(?:to|for|about|if|whether) )?(.+)$`,
            "i",
        ),
    };
}

function say(alexa, rules, utterance) {
    if (rules.launch.test(utterance)) {
        return alexa.launch();
    }
    const oneShot = rules.oneShot.exec(utterance);
    const words = oneShot ? oneShot[1] : utterance;
    const match = new Utterance(alexa.context().interactionModel(), words);
    if (!match.matched()) {
        throw new Error("no sample of the interaction model matches it");
    }
    return alexa.request().intent(match.intent()).slots(match.toJSON()).send();
}

function describeSlots(slots) {
    const described = {};
    for (const [name, slot] of Object.entries(slots || {})) {
        const authority = slot.resolutions && slot.resolutions.resolutionsPerAuthority
            ? slot.resolutions.resolutionsPerAuthority[0]
            : undefined;
        described[name] = {
            value: slot.value === undefined ? null : slot.value,
            status: authority ? authority.status.code : null,
            id: authority && authority.values.length ? authority.values[0].value.id : null,
        };
    }
    return described;
}

function describeSpeech(speech) {
    if (!speech) {
        return null;
    }
    return speech.type === "SSML" ? speech.ssml : speech.text;
}

async function converse(url, utterances, locale) {
    const file = modelFile(locale);
    const rules = grammar(file);
    const alexa = VirtualAlexa.Builder()
        .interactionModelFile(file)
        .applicationID(APPLICATION_ID)
        .locale(locale)
        .skillURL(url)
        .create();
    let sent = null;
    alexa.filter((requestJSON) => {
        sent = requestJSON.request;
    });
    const turns = [];
    for (const utterance of utterances) {
        sent = null;
        let reply;
        try {
            reply = await say(alexa, rules, utterance);
        } catch (error) {
            throw new Error(`"${utterance}": ${error.message || error}`);
        }
        const response = reply.response || {};
        turns.push({
            utterance,
            request: {
                type: sent ? sent.type : null,
                locale: sent ? sent.locale : null,
                intent: sent && sent.intent ? sent.intent.name : null,
                slots: sent && sent.intent ? describeSlots(sent.intent.slots) : {},
            },
            response: {
                ssml: describeSpeech(response.outputSpeech),
                reprompt: response.reprompt ? describeSpeech(response.reprompt.outputSpeech) : null,
                shouldEndSession:
                    response.shouldEndSession === undefined ? null : response.shouldEndSession,
                sessionOpen: alexa.context().activeSession(),
            },
        });
    }
    return turns;
}

async function main(argv) {
    let locale = "en-US";
    if (argv[0] === "--locale") {
        locale = argv[1];
        argv = argv.slice(2);
    }
    const [url, ...utterances] = argv;
    if (!url || !/^https?:\/\//.test(url)) {
        process.stderr.write("usage: node conversation.js [--locale LOCALE] URL [UTTERANCE ...]\n");
        return 2;
    }
    const chosen = utterances.length ? utterances : DEFAULT_CONVERSATION;
    const turns = await converse(url, chosen, locale);
    process.stdout.write(JSON.stringify({ url, locale, turns }, null, 2) + "\n");
    return 0;
}

main(process.argv.slice(2)).then(
    (status) => {
        process.exitCode = status;
    },
    (error) => {
        process.stderr.write(`conversation failed: ${error.message || error}\n`);
        process.exitCode = 1;
    },
);
