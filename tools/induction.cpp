// induction.cpp — main() of the `induction` command line: finds the subcommand named by the first
// words of the command line, prints its help or parses its options (tools/commands.h), runs it,
// and prints an error as one line "induction <command>: <message>".
#include <algorithm>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/commands.h"

namespace {

using induction::Command;

const Command* const COMMANDS[] = {
    &induction::RUN_COMMAND,        &induction::ANALYZE_COMMAND,    &induction::REPORT_COMMAND,
    &induction::HEADS_COMMAND,      &induction::CIRCUITS_COMMAND,   &induction::ABLATE_COMMAND,
    &induction::TRAIN_COMMAND,      &induction::EVAL_COMMAND,       &induction::AUDIT_COMMAND,
    &induction::PRESETS_COMMAND,    &induction::CORPUS_COMMAND,     &induction::BENCH_COMMAND,
    &induction::BENCH_GEMM_COMMAND, &induction::BENCH_TRAIN_COMMAND, &induction::BENCH_ABLATE_COMMAND,
    &induction::BENCH_CLAMP_COMMAND,
    &induction::CLAMP_COMMAND,
};

std::vector<std::string> words_of(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;) words.push_back(word);
    return words;
}

// The command whose name is the longest run of leading words ("bench gemm" before "bench"), or null.
const Command* find_command(const std::vector<std::string>& words) {
    const Command* found = nullptr;
    size_t found_length = 0;
    for (const Command* c : COMMANDS) {
        const std::vector<std::string> name = words_of(c->usage.command);
        if (name.size() > found_length && name.size() <= words.size() &&
            std::equal(name.begin(), name.end(), words.begin())) {
            found = c;
            found_length = name.size();
        }
    }
    return found;
}

void print_commands() {
    std::vector<const induction::Usage*> usages;
    for (const Command* c : COMMANDS) usages.push_back(&c->usage);
    std::printf("usage: induction <command> [arguments]\n\ncommands:\n%s\n"
                "`induction <command> --help` lists a command's arguments and options.\n",
                induction::command_list(usages).c_str());
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        print_commands();
        return words.empty() ? 2 : 0;
    }
    const Command* command = find_command(words);
    if (!command) {
        std::fprintf(stderr, "induction: unknown command '%s' (`induction --help` lists them)\n", words[0].c_str());
        return 2;
    }
    const std::vector<std::string> arguments(words.begin() + words_of(command->usage.command).size(), words.end());
    if (std::find_if(arguments.begin(), arguments.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; }) != arguments.end()) {
        std::fputs(induction::help_text(command->usage).c_str(), stdout);
        return 0;
    }
    const char* name = command->usage.command.c_str();
    try {
        return command->run(induction::Args(arguments, command->usage.options));
    } catch (const induction::Error& e) {
        std::fprintf(stderr, "induction %s: %s\n", name, e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "induction %s: unexpected error: %s\n", name, e.what());
        return 1;
    }
}
