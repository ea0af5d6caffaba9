#!/bin/sh
echo stray
