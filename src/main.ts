import './ui/tokens.css';
import './ui/attn-app';
