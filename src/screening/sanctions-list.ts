/**
 * A sanctions-list provider over a local OFAC SDN-style CSV file with a header row: `ent_num` and `SDN_Name`
 * are required, `SDN_Type`, `Program` and `LEI`/`BIC` columns are read where given (`-0-` is OFAC's empty).
 * An LEI or BIC on the list is a hit; a name equal after normalisation is medium. The file is checked at every
 * screening (inode, size, modification time) and re-read when it changed; a missing or malformed file is an
 * outage (SCREENING_LIST_UNAVAILABLE), never an empty list.
 */
import { readFile, stat } from "node:fs/promises";
import { z } from "zod";
import { schemaIssues } from "../errors";
import { parseCsv } from "./csv";
import { ScreeningConfigError, ScreeningError } from "./errors";
import { normaliseIdentifier, normaliseName } from "./names";
import {
  levelOf,
  partiesOf,
  type ScreeningMatch,
  type ScreeningProvider,
  type ScreeningResult,
  type ScreeningSubject,
} from "./provider";

export const SanctionsListConfigSchema = z
  .object({
    /** The CSV file. */
    path: z.string().min(1),
    /** The list's name as reported in matches (`OFAC SDN`). */
    list: z.string().min(1).max(64).default("SDN"),
  })
  .strict();
export type SanctionsListConfig = z.input<typeof SanctionsListConfigSchema>;

interface Entry {
  entry: string;
  name: string;
}

interface LoadedList {
  version: string;
  byName: Map<string, Entry[]>;
  byIdentifier: Map<string, Entry[]>;
  entries: number;
}

const IDENTIFIER_COLUMNS = ["lei", "bic"];
const EMPTY = "-0-";

/** Screens against a local sanctions list, re-read whenever the file changes. */
export class SanctionsListProvider implements ScreeningProvider {
  readonly name: string;
  readonly #path: string;
  #loaded: Promise<LoadedList> | undefined;
  #version: string | undefined;

  constructor(config: SanctionsListConfig) {
    const parsed = SanctionsListConfigSchema.safeParse(config);
    if (!parsed.success) throw new ScreeningConfigError("sanctions list", schemaIssues(parsed.error));
    this.name = parsed.data.list;
    this.#path = parsed.data.path;
  }

  async screen(subject: ScreeningSubject): Promise<ScreeningResult> {
    const travel = subject.travelRule === undefined ? {} : { travelRule: subject.travelRule };
    let list: LoadedList;
    try {
      list = await this.#current();
    } catch (error) {
      return { status: "outage", provider: this.name, error: error as ScreeningError, ...travel };
    }
    const matches: ScreeningMatch[] = [];
    for (const [party, p] of partiesOf(subject)) {
      for (const e of list.byIdentifier.get(normaliseIdentifier(p.id)) ?? []) {
        matches.push({ party, list: this.name, entry: e.entry, name: e.name, matchedOn: "identifier" });
      }
      const name = p.name === undefined ? "" : normaliseName(p.name);
      for (const e of name === "" ? [] : (list.byName.get(name) ?? [])) {
        matches.push({ party, list: this.name, entry: e.entry, name: e.name, matchedOn: "name" });
      }
    }
    return { status: levelOf(matches), provider: this.name, matches, ...travel };
  }

  /** Number of entries of the list as last read (reads it when not yet read or changed). */
  async size(): Promise<number> {
    return (await this.#current()).entries;
  }

  /** The list as the file holds it now: re-read when its inode, size or modification time changed. */
  async #current(): Promise<LoadedList> {
    let version: string;
    try {
      const s = await stat(this.#path, { bigint: true });
      version = `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (error) {
      this.#loaded = undefined;
      throw this.#unavailable("cannot be read", error);
    }
    if (this.#loaded === undefined || this.#version !== version) {
      this.#version = version;
      this.#loaded = this.#load(version);
      // A failed read is not kept: the next screening reads the file again.
      this.#loaded.catch(() => {
        if (this.#version === version) this.#loaded = undefined;
      });
    }
    return this.#loaded;
  }

  async #load(version: string): Promise<LoadedList> {
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      throw this.#unavailable("cannot be read", error);
    }
    let records: { line: number; fields: string[] }[];
    try {
      records = parseCsv(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw this.#unavailable(`is not CSV (${(error as Error).message})`, error);
    }
    const [header, ...rows] = records;
    const columns = (header?.fields ?? []).map((c) => c.trim().toLowerCase());
    const at = (name: string) => columns.indexOf(name);
    if (at("ent_num") < 0 || at("sdn_name") < 0) {
      throw this.#unavailable("has no header row with ent_num and SDN_Name");
    }
    const byName = new Map<string, Entry[]>();
    const byIdentifier = new Map<string, Entry[]>();
    const add = (map: Map<string, Entry[]>, key: string, e: Entry) => map.set(key, [...(map.get(key) ?? []), e]);
    for (const row of rows) {
      if (row.fields.length !== columns.length) {
        throw this.#unavailable(`line ${row.line} has ${row.fields.length} fields, the header ${columns.length}`);
      }
      const value = (name: string) => {
        const v = row.fields[at(name)]?.trim() ?? "";
        return v === EMPTY ? "" : v;
      };
      const e = { entry: value("ent_num"), name: value("sdn_name") };
      if (e.entry === "" || e.name === "") throw this.#unavailable(`line ${row.line} has no ent_num or SDN_Name`);
      if (normaliseName(e.name) !== "") add(byName, normaliseName(e.name), e);
      for (const column of IDENTIFIER_COLUMNS.filter((c) => at(c) >= 0)) {
        for (const id of value(column)
          .split(/[;\s]+/)
          .filter((i) => i !== "")) {
          add(byIdentifier, normaliseIdentifier(id), e);
        }
      }
    }
    return { version, byName, byIdentifier, entries: rows.length };
  }

  #unavailable(reason: string, cause?: unknown): ScreeningError {
    return new ScreeningError(
      "SCREENING_LIST_UNAVAILABLE",
      `sanctions list ${this.#path} ${reason}`,
      { provider: this.name, path: this.#path, reason },
      cause,
    );
  }
}
