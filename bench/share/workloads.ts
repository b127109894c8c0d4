/**
 * The sharing bench's request sequences, built deterministically from ../shared/data:
 * COVID-Q cluster replay, QQP duplicate / non-duplicate pairs, STS-B caption pairs, TinyStories prompts
 * with a name or an object swapped, and templated clinic letters with per-patient fields in the middle.
 */
import {readFileSync} from "node:fs";
import {dataFile, readRecords, rng, shuffled} from "./data.js";

export interface BenchRequest {
    id: string;
    /** "seed": fills the cache (first of a pair / class); "target": the one that should reuse. */
    role: "seed" | "target";
    api: "completions" | "chat";
    prompt: string;
    /** Chat only: a system message before the user's prompt. */
    system?: string;
    meta?: Record<string, string | number>;
}

export interface Workload {
    name: string;
    description: string;
    /** Counts toward the issue's ≥ 2× criterion (paraphrase and templated workloads). */
    headline: boolean;
    requests: BenchRequest[];
}

export interface WorkloadSizes {
    covidClasses: number;
    covidPerClass: number;
    covidChatClasses: number;
    qqpDup: number;
    qqpNonDup: number;
    stsPairs: number;
    storyPairs: number;
    letters: number;
}

export const FULL_SIZES: WorkloadSizes = {
    covidClasses: 8,
    covidPerClass: 5,
    covidChatClasses: 4,
    qqpDup: 15,
    qqpNonDup: 10,
    stsPairs: 15,
    storyPairs: 15,
    letters: 12
};
export const QUICK_SIZES: WorkloadSizes = {
    covidClasses: 2,
    covidPerClass: 3,
    covidChatClasses: 0,
    qqpDup: 3,
    qqpNonDup: 2,
    stsPairs: 3,
    storyPairs: 3,
    letters: 3
};

const SEED = 20250316;

/**
 * COVID-Q: the largest real-question classes (Source ≠ "Author Generated", with a category). One
 * question of each class is asked first (the cache seed), then the class's other phrasings, round
 * robin across classes, as other people would ask them later.
 */
export function covidReplay(classes: number, perClass: number, api: "completions" | "chat" = "completions"): Workload {
    const rows = readRecords(dataFile("covid_q", "final_master_dataset.csv"), ",").filter(
        (r) => r["Source"] !== "Author Generated" && (r["Category"] ?? "") !== "" && (r["Question"] ?? "").trim() !== ""
    );
    const byClass = new Map<string, string[]>();
    for (const r of rows) {
        const id = r["Question ID"] ?? "";
        const q = (r["Question"] ?? "").trim();
        const list = byClass.get(id) ?? [];
        if (!list.some((x) => x.toLowerCase() === q.toLowerCase())) list.push(q);
        byClass.set(id, list);
    }
    const random = rng(SEED + (api === "chat" ? 1 : 0));
    const top = [...byClass.entries()].sort((a, b) => b[1].length - a[1].length || Number(a[0]) - Number(b[0])).slice(0, classes);
    const requests: BenchRequest[] = [];
    const system = api === "chat" ? "You are a health information assistant. Answer the user's question in two short sentences." : undefined;
    const members = top.map(([id, qs]) => ({id, qs: [qs[0] as string, ...shuffled(qs.slice(1), random)].slice(0, perClass)}));
    for (const {id, qs} of members) requests.push({id: `c${id}-0`, role: "seed", api, prompt: qs[0] as string, system, meta: {class: id}});
    for (let k = 1; k < perClass; k++)
        for (const {id, qs} of members) {
            const q = qs[k];
            if (q != null) requests.push({id: `c${id}-${k}`, role: "target", api, prompt: q, system, meta: {class: id}});
        }
    return {
        name: api === "chat" ? "covid_q·chat" : "covid_q",
        description: `COVID-Q cluster replay (${api}${api === "chat" ? ", with a system prompt" : ""}): ${top.length} largest classes, 1 seed + up to ${perClass - 1} paraphrases each`,
        headline: api === "completions",
        requests
    };
}

/** QQP pairs of one label from part 1 (questions of 30..200 characters): q1, then q2. */
export function qqpPairs(count: number, duplicate: boolean): Workload {
    const rows = readRecords(dataFile("qqp", "qqp_pairs_part1.tsv"), "\t")
        .filter((r) => r["is_duplicate"] === (duplicate ? "1" : "0"))
        .filter((r) => [r["question1"] ?? "", r["question2"] ?? ""].every((q) => q.length >= 30 && q.length <= 200));
    const pick = shuffled(rows, rng(SEED + (duplicate ? 2 : 3))).slice(0, count);
    const requests: BenchRequest[] = [];
    for (const r of pick) {
        requests.push({id: `q${r["row"]}-1`, role: "seed", api: "completions", prompt: r["question1"] ?? "", meta: {row: Number(r["row"])}});
        requests.push({id: `q${r["row"]}-2`, role: "target", api: "completions", prompt: r["question2"] ?? "", meta: {row: Number(r["row"])}});
    }
    return {
        name: duplicate ? "qqp_dup" : "qqp_nondup",
        description: `QQP ${duplicate ? "duplicate" : "non-duplicate"} pairs: ${pick.length} pairs, q1 then q2`,
        headline: duplicate,
        requests
    };
}

/** STS-B caption pairs spread over the 0–5 score range: sentence1, then sentence2. */
export function stsPairs(count: number): Workload {
    const rows = readRecords(dataFile("stsb_captions", "stsb_captions_cc_by_sa.tsv"), "\t");
    const random = rng(SEED + 4);
    const buckets = [0, 1, 2, 3, 4].map((lo) =>
        shuffled(
            rows.filter((r) => {
                const s = Number(r["score"]);
                return s >= lo && (lo === 4 ? s <= 5 : s < lo + 1);
            }),
            random
        )
    );
    const pick: Record<string, string>[] = [];
    for (let i = 0; pick.length < count && i < 1000; i++) {
        const row = buckets[i % 5]?.[Math.floor(i / 5)];
        if (row != null) pick.push(row);
    }
    const requests: BenchRequest[] = [];
    for (const r of pick) {
        const key = `${r["split"]}-${r["filename"]}-${r["id"]}`;
        const meta = {score: Number(r["score"])};
        requests.push({id: `${key}-1`, role: "seed", api: "completions", prompt: r["sentence1"] ?? "", meta});
        requests.push({id: `${key}-2`, role: "target", api: "completions", prompt: r["sentence2"] ?? "", meta});
    }
    return {
        name: "sts_captions",
        description: `STS-B caption pairs: ${pick.length} pairs across scores 0–5, sentence1 then sentence2`,
        headline: false,
        requests
    };
}

const NAMES = ["Lily", "Tom", "Max", "Sue", "Ben", "Mia", "Sam", "Anna", "Jack", "Lucy", "Tim", "Zoe", "Bob", "Emma", "Leo"];
const OBJECTS = ["ball", "kite", "box", "car", "hat", "cake", "book", "boat", "doll", "tree", "flower", "toy", "bird", "cat", "dog", "apple"];

/**
 * TinyStories validation paragraphs ("Once upon a time …", cut to about 300 characters at a
 * sentence end) asked as-is, then with every occurrence of the hero's name (even pairs) or of an
 * object (odd pairs) swapped for another.
 */
export function storySwaps(count: number): Workload {
    const paragraphs = readFileSync(dataFile("tinystories", "tinystories_validation_head.txt"), "utf8")
        .split(/\n\s*\n/)
        .map((p) => p.trim())
        .filter((p) => p.startsWith("Once upon a time"));
    const random = rng(SEED + 5);
    const requests: BenchRequest[] = [];
    let pairs = 0;
    for (const paragraph of shuffled(paragraphs, random)) {
        if (pairs >= count) break;
        const cut = cutAtSentence(paragraph, 220, 360);
        if (cut == null) continue;
        const swapName = pairs % 2 === 0;
        let swapped: string | undefined;
        let what: string;
        if (swapName) {
            const name = /named ([A-Z][a-z]+)/.exec(cut)?.[1];
            if (name == null) continue;
            const others = NAMES.filter((n) => n !== name && !cut.includes(n));
            const other = others[Math.floor(random() * others.length)];
            if (other == null) continue;
            swapped = cut.replace(new RegExp(`\\b${name}\\b`, "g"), other);
            what = `${name}→${other}`;
        } else {
            const object = OBJECTS.find((o) => new RegExp(`\\b${o}\\b`).test(cut));
            if (object == null) continue;
            const others = OBJECTS.filter((o) => o !== object && !new RegExp(`\\b${o}\\b`).test(cut));
            const other = others[Math.floor(random() * others.length)];
            if (other == null) continue;
            swapped = cut.replace(new RegExp(`\\b${object}\\b`, "g"), other);
            what = `${object}→${other}`;
        }
        if (swapped === cut) continue;
        requests.push({id: `s${pairs}-orig`, role: "seed", api: "completions", prompt: cut, meta: {swap: what}});
        requests.push({id: `s${pairs}-swap`, role: "target", api: "completions", prompt: swapped, meta: {swap: what}});
        pairs++;
    }
    return {
        name: "tinystories_swap",
        description: `TinyStories prompts: ${pairs} originals, each followed by a copy with a name or an object swapped`,
        headline: false,
        requests
    };
}

function cutAtSentence(text: string, min: number, max: number): string | undefined {
    if (text.length < min) return undefined;
    let end = -1;
    const re = /[.!?]["”]?\s/g;
    for (let m = re.exec(text); m != null; m = re.exec(text)) {
        const at = m.index + m[0].trimEnd().length;
        if (at > max) break;
        end = at;
    }
    if (end < min) return text.length <= max ? text : undefined;
    return text.slice(0, end);
}

/** The shared part of a clinic letter request before the per-patient fields. */
export const LETTER_HEAD = [
    "You are the letter assistant of the Riverside Family Clinic. After each visit you draft a short follow-up letter",
    "that a doctor reviews and signs before it is sent. Write in plain, friendly English that any adult can read, with",
    "short sentences and no medical jargon. Only mention facts given below; never add a diagnosis, a test result or a",
    "medicine that the record does not name. Do not give the patient new instructions that the doctor did not give.",
    "",
    "Patient record for this letter:"
].join("\n");

/** The shared part after the fields. */
export const LETTER_TAIL = [
    "",
    "Write the letter in this order. First, greet the patient by first name and thank them for coming to the clinic.",
    "Second, say in one or two sentences why they came, using their own words where you can. Third, remind them of",
    "the follow-up appointment and tell them how to change it: call the front desk on weekdays between eight and six,",
    "or use the patient portal. Fourth, list the warning signs that mean they should not wait for the appointment:",
    "a high fever that does not go down, trouble breathing, chest pain, fainting, or symptoms that get much worse",
    "quickly. For any of these they should call the emergency number at once. Fifth, invite them to bring a list of",
    "questions and all the medicines they take to the next visit. Close with a kind sentence and sign the letter as",
    '"The care team at Riverside Family Clinic". Keep the whole letter under two hundred words and do not use headings.',
    "",
    "Letter:"
].join("\n");

const PATIENTS = [
    "Maria Gonzalez",
    "James O'Brien",
    "Aiko Tanaka",
    "Samuel Okafor",
    "Elena Petrova",
    "David Cohen",
    "Priya Sharma",
    "Lucas Moreau",
    "Fatima Al-Sayed",
    "Grace Kim",
    "Henrik Larsen",
    "Amara Nwosu",
    "Tomás Silva",
    "Ruth Adler"
];
const COMPLAINTS = [
    "a cough that has lasted three weeks",
    "pain in the lower back after lifting boxes",
    "headaches most mornings",
    "a rash on both arms",
    "feeling tired all the time",
    "a sore knee when climbing stairs",
    "trouble sleeping since starting a new job",
    "dizziness when standing up quickly",
    "a sore throat and mild fever",
    "heartburn after meals",
    "an itchy eye",
    "a swollen ankle after a fall",
    "shortness of breath when walking uphill",
    "ringing in both ears"
];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** One clinic letter prompt: the long shared instruction with the patient's fields in the middle. */
export function letterPrompt(name: string, date: string, complaint: string, weeks: number): string {
    return `${LETTER_HEAD}\nName: ${name}\nDate of visit: ${date}\nReason for visit: ${complaint}\nFollow-up in: ${weeks} weeks\n${LETTER_TAIL}`;
}

/** Clinic letters: the same long instruction, per-patient fields inserted in the middle. */
export function clinicLetters(count: number, seedOffset = 6): Workload {
    const random = rng(SEED + seedOffset);
    const names = shuffled(PATIENTS, random);
    const complaints = shuffled(COMPLAINTS, random);
    const requests: BenchRequest[] = [];
    for (let i = 0; i < count; i++) {
        const name = names[i % names.length] as string;
        // Past the list's length the complaints shift by one a round, so no two letters share a name and a complaint.
        const complaint = complaints[(i + Math.floor(i / names.length)) % complaints.length] as string;
        const date = `${1 + Math.floor(random() * 28)} ${MONTHS[Math.floor(random() * 12)]} 2025`;
        const weeks = 1 + Math.floor(random() * 6);
        requests.push({id: `l${i}`, role: i === 0 ? "seed" : "target", api: "completions", prompt: letterPrompt(name, date, complaint, weeks), meta: {name}});
    }
    return {
        name: "templated_letters",
        description: `Clinic letters: a ${LETTER_HEAD.length + LETTER_TAIL.length}-character shared instruction, per-patient fields (name, date, complaint, follow-up) in the middle; ${count} letters`,
        headline: true,
        requests
    };
}

export function allWorkloads(sizes: WorkloadSizes): Workload[] {
    const list = [
        covidReplay(sizes.covidClasses, sizes.covidPerClass),
        qqpPairs(sizes.qqpDup, true),
        qqpPairs(sizes.qqpNonDup, false),
        stsPairs(sizes.stsPairs),
        storySwaps(sizes.storyPairs),
        clinicLetters(sizes.letters)
    ];
    if (sizes.covidChatClasses > 0) list.splice(1, 0, covidReplay(sizes.covidChatClasses, sizes.covidPerClass, "chat"));
    return list;
}
