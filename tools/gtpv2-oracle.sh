#!/bin/sh
# Writes CAPTURE.gtpv2.tsv beside each capture: tshark's reading of every GTPv2-C message
# (frame, message types, header TEIDs, F-TEID interface types, TEIDs and IPv4 addresses, ECI,
# MCC, MNC), the oracle for Flowcast's GTPv2-C parser. Usage: tools/gtpv2-oracle.sh CAPTURE...
set -eu
for capture in "$@"; do
    tshark -n -r "$capture" -Y gtpv2 -T fields -E occurrence=a -E aggregator=, \
        -e frame.number -e gtpv2.message_type -e gtpv2.teid -e gtpv2.f_teid_interface_type \
        -e gtpv2.f_teid_gre_key -e gtpv2.f_teid_ipv4 -e gtpv2.ecgi_eci -e e212.ecgi.mcc -e e212.ecgi.mnc \
        > "$capture.gtpv2.tsv"
done
