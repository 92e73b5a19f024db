#!/usr/bin/env bash
# Compiles and runs the Java program: logback with the logstash JSON encoder (Debian packages
# liblogback-java and liblogstash-logback-encoder-java). Usage: run.sh OUT TRUTH COUNT
set -euo pipefail
cd "$(dirname "$0")"
jars=/usr/share/java
cp="$jars/logback-classic.jar:$jars/logback-core.jar:$jars/slf4j-api.jar:$jars/logstash-logback-encoder.jar:$jars/jackson-core.jar:$jars/jackson-databind.jar:$jars/jackson-annotations.jar"
build=$(mktemp -d)
javac -d "$build" -cp "$cp" src/shop/*.java
java -Dout="$1" -Dlogback.configurationFile=logback.xml -cp "$build:$cp" shop.Main "$2" "$3"
rm -rf "$build"
