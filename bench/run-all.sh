#!/bin/sh
# The BENCHMARKS.md runs, one after the other (never concurrently: they share the CPU).
echo "load before browser run: $(uptime)"
timeout 1200 npm run bench -- --n 64,128,256,512,768,1024 --dk 64 --variants naive,tiled,fused,tfjs --repeats 7 --warmup 2 --fit-from 512
echo "load after browser run: $(uptime)"
timeout 1200 npm run bench -- --node --n 256,512,768,1024 --dk 64 --variants naive,tiled,fused --diagnose --repeats 5 --warmup 1 --fit-from 512 --out bench/diagnose
echo "load after node run: $(uptime)"
