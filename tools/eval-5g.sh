#!/usr/bin/env bash
# 5G whole-trace validation of the Flowcast model (public traces only, read in place: GPL data,
# never copied into the repository; the script only makes symlinks in a temporary folder).
#
#   tools/eval-5g.sh heldout dl|se [train flags…]   train on 53 traces, score the 24 held-out ones
#   tools/eval-5g.sh folds   dl|se [train flags…]   4 folds of the 53 training traces only
#                                                   (train on three, score the fourth; pooled)
#   tools/eval-5g.sh static  dl|se [train flags…]   training traces only: train on the Driving
#                                                   ones, score the Static ones (a category held out)
#   tools/eval-5g.sh all     dl|se [train flags…]   5 folds of all 77 public traces (train on four,
#                                                   score the fifth; pooled): for choosing defaults
#                                                   on every public trace, none of them scored twice
#
# Split: a trace is held out when the first byte of md5("<absolute path>\n") is divisible by 5
# (24 of the 77 public traces); folds of the other 53: first byte of md5("<absolute path>") mod 4.
# The hash is of the resolved absolute path, so the split in docs/forecasting.md is the one with the
# traces at /work/shared/data/radio-5g/traces (elsewhere the split differs).
# Prints, per run, the flowcast and persistence MAE/RMSE and the ratios (× persistence).
#
#   tools/eval-5g.sh heldout dl|se --horizon 60s [train flags…]
# forecasts the mean of the next 60 s instead of the next second (`train`/`evaluate --horizon`) and
# prints, per run, the MAE of flowcast, recentMean, persistence and EWMA, the ratios × recentMean
# and the P10–P90 band coverage of flowcast and recentMean (pooled over folds like the rest).
# Env: FLOWCAST (binary; default .build-rel/release/flowcast), TRACES (default
# ../shared/data/radio-5g/traces relative to the repository, then /work/shared/...).
# Skips (exit 0) when the traces are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:?usage: tools/eval-5g.sh heldout|folds dl|se [train flags]}"
TARGET="${2:?usage: tools/eval-5g.sh heldout|folds dl|se [train flags]}"
shift 2
F="${FLOWCAST:-.build-rel/release/flowcast}"
TRACES="${TRACES:-}"
if [[ -z "$TRACES" ]]; then
    for candidate in ../shared/data/radio-5g/traces /work/shared/data/radio-5g/traces; do
        [[ -d "$candidate" ]] && { TRACES="$candidate"; break; }
    done
fi
if [[ -z "$TRACES" || ! -d "$TRACES" ]]; then
    echo "5G traces not found (set TRACES=…/radio-5g/traces); skipped" >&2
    exit 0
fi
TRACES="$(cd "$TRACES" && pwd -P)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/test" "$TMP/train" "$TMP/driving" "$TMP/static" "$TMP/fold0" "$TMP/fold1" "$TMP/fold2" "$TMP/fold3" \
    "$TMP/all0" "$TMP/all1" "$TMP/all2" "$TMP/all3" "$TMP/all4"
while IFS= read -r path; do
    name="$(printf '%s\n' "$path" | md5sum | cut -c1-8)"
    ln -s "$path" "$TMP/all$(( 16#$(printf '%s' "$path" | md5sum | cut -c3-4) % 5 ))/$name.csv"
    if (( 16#${name:0:2} % 5 == 0 )); then
        ln -s "$path" "$TMP/test/$name.csv"
    else
        ln -s "$path" "$TMP/train/$name.csv"
        fold=$(( 16#$(printf '%s' "$path" | md5sum | cut -c1-2) % 4 ))
        ln -s "$path" "$TMP/fold$fold/$name.csv"
        case "$path" in
            */Driving/*) ln -s "$path" "$TMP/driving/$name.csv" ;;
            */Static/*) ln -s "$path" "$TMP/static/$name.csv" ;;
        esac
    fi
done < <(find "$TRACES" -name '*.csv' -type f | sort)

# run NAME TRAIN_DIRS… -- TEST_DIR: prints "NAME steps fc_mae fc_rmse p_mae p_rmse"
run() {
    local name="$1" test="$2"; shift 2
    local args=()
    for d in "$@"; do args+=(--series "$d"); done
    if [[ -n "$HORIZON" ]]; then
        "$F" train "${args[@]}" --target "$TARGET" --horizon "$HORIZON" --out "$TMP/model.json" "${TRAIN_FLAGS[@]}" >&2
        "$F" evaluate --model "$TMP/model.json" --series "$test" --from 0 --target "$TARGET" --horizon "$HORIZON" --json \
            | jq -r --arg n "$name" '[$n, .steps] + ([.methods[] | select(.name=="flowcast" or .name=="recentMean" or .name=="persistence" or .name=="ewma")
                                       | .mae, .p10_p90_coverage, .pinball]) | map(tostring) | join(" ")'
        return
    fi
    "$F" train "${args[@]}" --target "$TARGET" --out "$TMP/model.json" "${TRAIN_FLAGS[@]}" >/dev/null
    "$F" evaluate --model "$TMP/model.json" --series "$test" --from 0 --target "$TARGET" --json \
        | jq -r --arg n "$name" '[$n, .steps, (.methods[] | select(.name=="flowcast") | .mae, .rmse, .p90_coverage, .p90_pinball),
                                   (.methods[] | select(.name=="persistence") | .mae, .rmse)] | map(tostring) | join(" ")'
}
TRAIN_FLAGS=()
HORIZON=""
while (( $# > 0 )); do
    if [[ "$1" == --horizon ]]; then HORIZON="$2"; shift 2; else TRAIN_FLAGS+=("$1"); shift; fi
done
SUMMARY='
    { printf "%-8s %s steps %6d  flowcast MAE %.4f RMSE %.4f cov %.3f pinball %.4f | persistence MAE %.4f RMSE %.4f | x p: MAE %.3f RMSE %.3f\n",
             $1, target, $2, $3, $4, $5, $6, $7, $8, $3 / $7, $4 / $8
      n += $2; a += $3 * $2; r += $4 * $4 * $2; pa += $7 * $2; pr += $8 * $8 * $2; c += $5 * $2 }
    END { if (NR > 1) printf "pooled   %s steps %6d  flowcast MAE %.4f RMSE %.4f cov %.3f | persistence MAE %.4f RMSE %.4f | x p: MAE %.3f RMSE %.3f\n",
                              target, n, a / n, sqrt(r / n), c / n, pa / n, sqrt(pr / n), a / pa, sqrt(r / pr) }'
# columns: name steps, then MAE, band coverage, pinball of flowcast, persistence, recentMean, ewma (report order)
HORIZON_SUMMARY='
    { printf "%-8s %s %s steps %6d  MAE flowcast %.4f recentMean %.4f persistence %.4f ewma %.4f | x recentMean: flowcast %.3f persistence %.3f ewma %.3f | P10-P90 cov flowcast %.3f recentMean %.3f | pinball flowcast %.4f recentMean %.4f\n",
             $1, target, horizon, $2, $3, $9, $6, $12, $3 / $9, $6 / $9, $12 / $9, $4, $10, $5, $11
      n += $2; a += $3 * $2; rm += $9 * $2; p += $6 * $2; e += $12 * $2; c += $4 * $2; cr += $10 * $2 }
    END { if (NR > 1) printf "pooled   %s %s steps %6d  MAE flowcast %.4f recentMean %.4f | x recentMean: flowcast %.3f persistence %.3f ewma %.3f | P10-P90 cov flowcast %.3f recentMean %.3f\n",
                              target, horizon, n, a / n, rm / n, a / rm, p / rm, e / rm, c / n, cr / n }'
{
    if [[ "$MODE" == heldout ]]; then
        run heldout "$TMP/test" "$TMP/train"
    elif [[ "$MODE" == static ]]; then
        run static "$TMP/static" "$TMP/driving"
    elif [[ "$MODE" == all ]]; then
        for k in 0 1 2 3 4; do
            others=()
            for j in 0 1 2 3 4; do [[ $j != "$k" ]] && others+=("$TMP/all$j"); done
            run "all$k" "$TMP/all$k" "${others[@]}"
        done
    else
        for k in 0 1 2 3; do
            others=()
            for j in 0 1 2 3; do [[ $j != "$k" ]] && others+=("$TMP/fold$j"); done
            run "fold$k" "$TMP/fold$k" "${others[@]}"
        done
    fi
} | awk -v target="$TARGET" -v horizon="$HORIZON" "$([[ -n "$HORIZON" ]] && echo "$HORIZON_SUMMARY" || echo "$SUMMARY")"
