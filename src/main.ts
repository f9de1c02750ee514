import './ui/attn-app';
