#!/usr/bin/env bash
# Builds each fuzz target with libFuzzer and AddressSanitizer, then runs each for SECONDS (default 60).
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: json envelope callback rules expression template)
# Corpora grow in .build-fuzz/corpus/<target> across runs; crash inputs land in .build-fuzz/crashes/<target>.
# Replay one with the plain build: swift run fuzz-<target> <file>. Exit status 1 when any target crashed.
set -uo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(json envelope callback rules expression template); fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scratch=.build-fuzz
work="$scratch/corpus"
crashes="$scratch/crashes"
logs="$scratch/logs"
mkdir -p "$work" "$crashes" "$logs"

# Writes the seed inputs of target $1 into folder $2 (one file per seed).
seed() {
    local target="$1" out="$2" n=0 line
    mkdir -p "$out"
    case "$target" in
    json | envelope)
        cp Tests/Fixtures/Events/*.json rules/tests/events/*.json "$out"/
        ;;
    callback)
        # Mode byte 0: signature, timestamp, nonce and ciphertext of the reference example, one per line.
        {
            printf '\000d64cc4a02b22b725a6b50a9843ebf9c0fd7ca70f\n1661233174\n9ZvYhI4aFmR7wUNl\n'
            sed -n 's/.*"encrypt": *"\([^"]*\)".*/\1/p' Tests/Fixtures/Events/encrypted-example.json
        } >"$out/example-open"
        { printf '\001'; sed -n 's/.*"encrypt": *"\([^"]*\)".*/\1/p' Tests/Fixtures/Events/encrypted-example.json; } \
            >"$out/example-decrypt"
        printf '\003rrrrrrrrrrrrrrrr\000\000\000\002{}P00000000023' >"$out/padded-message"
        printf '\004{"Name":"x"}' >"$out/round-trip"
        ;;
    rules)
        find rules Tests/Fixtures/Rules -name '*.yaml' | while read -r file; do
            cp "$file" "$out/$(echo "$file" | tr '/' '_')"
        done
        ;;
    expression)
        # Every `when:` (mode byte 0) and `at:` (mode byte 1) of the rule files, plus a few by hand.
        find rules Tests/Fixtures/Rules -name '*.yaml' -exec sed -n 's/^ *- *when: *//p; s/^ *when: *//p' {} + |
            while IFS= read -r line; do
                n=$((n + 1))
                printf '\000%s' "$line" >"$out/when-$n"
            done
        find rules Tests/Fixtures/Rules -name '*.yaml' -exec sed -n 's/^ *at: *//p' {} + |
            while IFS= read -r line; do
                n=$((n + 1))
                printf '\001%s' "$line" >"$out/at-$n"
            done
        printf '\000%s' 'order.order_status in [10, 20] && hour(order.arrival_time) >= 9' >"$out/hand-1"
        printf '\000%s' 'not (fields["户型"] contains "三室") || body.order.remark matches "^x"' >"$out/hand-2"
        printf '\001%s' 'order.service_end_time + 1d - 30m' >"$out/hand-3"
        ;;
    template)
        # Every one-line `text:` of the rule files (mode byte 0), plus templates with each filter.
        find rules Tests/Fixtures/Rules -name '*.yaml' -exec sed -n 's/^ *text: *"\(.*\)"$/\1/p' {} + |
            while IFS= read -r line; do
                n=$((n + 1))
                printf '\000%s' "$line" >"$out/text-$n"
            done
        printf '\000%s' '{{ order.arrival_time | date "MM-dd HH:mm E" }} {{ order.appointment_user_phone | mask }}' \
            >"$out/hand-1"
        printf '\001%s' '{{ order.project_name | default "none" | upper | truncate 4 }} {{ event.id | lower }}' \
            >"$out/hand-2"
        ;;
    esac
    # Inputs that once crashed a target stay in its seeds (fuzz/regressions/<target>).
    if [ -d "fuzz/regressions/$target" ]; then cp fuzz/regressions/"$target"/* "$out"/; fi
}

dict_for() {
    case "$1" in
    json | envelope | callback) echo fuzz/dict/json.dict ;;
    rules) echo fuzz/dict/rules.dict ;;
    expression | template) echo fuzz/dict/expression.dict ;;
    esac
}

failed=()
summary=()
for target in "${targets[@]}"; do
    product="fuzz-$target"
    echo "== building $product (libFuzzer + ASan)"
    # The linker warns about every ASan helper it cannot export; only errors and the result are shown.
    swift build -c debug --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
        --product "$product" 2>&1 | grep -v "Cannot export local symbol" | grep -E "error|warning:|Build"
    built=${PIPESTATUS[0]}
    binary="$scratch/debug/$product"
    if [ "$built" -ne 0 ] || [ ! -x "$binary" ]; then
        echo "!! $product did not build"
        failed+=("$target (build)")
        continue
    fi
    seeds="$work/$target-seeds"
    rm -rf "$seeds"
    seed "$target" "$seeds"
    mkdir -p "$work/$target" "$crashes/$target"
    log="$logs/$target.log"
    echo "== running $product for ${seconds}s"
    # Seeds are read, the corpus folder (first) receives new inputs; -rss_limit guards against runaway inputs.
    ASAN_OPTIONS=detect_leaks=0 "$binary" "$work/$target" "$seeds" -max_total_time="$seconds" \
        -dict="$(dict_for "$target")" -artifact_prefix="$crashes/$target/" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    cover=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
    corpus=$(find "$work/$target" -type f | wc -l)
    summary+=("$target: ${runs:-?} runs in ${elapsed:-$seconds}s, ${cover:-cov: ?}, corpus $corpus")
    if [ $status -ne 0 ]; then
        echo "!! $product crashed (status $status); see $log and $crashes/$target/"
        grep -E "^(SUMMARY|==[0-9]+==ERROR)|Fatal error|error:" "$log" | head -5
        failed+=("$target")
    fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]}"
    exit 1
fi
echo "no crashes"
